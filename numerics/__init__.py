"""The machinery: circuits, sequences, the paper's RNN, training, NTK, transformer, sweeps, store.

Knows nothing of claims or verdicts (imports go notebooks -> verify -> numerics).
"""
