"""What the tests share: the job's world of stand-ins (``world``), Commons and real-Wikibase
fixtures (``commons``, ``wikibase``), snapshot builders (``snapshot``) and conflict rows
(``conflicts``). Imported as ``tests.support.*`` (the repository root is on pytest's
``pythonpath``); the everyday ones are fixtures in ``tests/conftest.py``.
"""
