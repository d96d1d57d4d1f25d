"""The generator of the bundled demo snapshots (a development tool; see ``build_demos.py``)."""
