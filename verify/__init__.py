"""Claim-by-claim checks of "Sub-task decomposition enables learning in sequence to sequence tasks".

Each module ``verify/<name>.py`` checks one claim group: it defines ``CLAIMS`` (the IDs it owns),
``check(...) -> list[Verdict]`` whose defaults are quick, and ``main(argv) -> int`` for
``python -m verify.<name>``. ``python -m verify`` discovers and runs them all.
"""
