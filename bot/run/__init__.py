"""The orchestrator: ``backfill run``.

``job.Job`` is composed of focused steps: ``base`` (the run's state and stop checks: signals,
``--max-minutes``, the run page, the lock), ``batch`` (one batch of worklist files read from
Commons and Flickr), ``files`` (one file planned, edited or queued, its outcome recorded),
``decisions`` (maintainers' decisions settled and written), ``recheck`` (conflict files that
changed on Commons). Every edit, of a file or of a decision, goes through the one journaled
protocol in ``edits``; ``ports`` says what the run needs from the adapters, ``summary`` what it
reports. ``wiring`` builds the adapters from settings and the job on them (every entry
point: ``backfill run``, ``explain``, the demo, the tests); ``explain`` is one file planned
by the job's own steps as a dry run would, nothing written (``backfill explain``).

It may import ``bot.core``, ``bot.adapters`` and ``bot.store``; never the CLI.
"""
