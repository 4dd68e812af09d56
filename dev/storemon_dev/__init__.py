"""Development tools around the storemon engine and service: the ``storemon`` command line,
the synthetic data generator and the embedded local stack.

None of this ships in the Lambda layer (``layers/common/`` holds only what Lambda runs); it is
installed by ``pip install -e ".[dev]"``.
"""
