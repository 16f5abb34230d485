"""The last app to load: once every app is ready, the objects made while starting (modules, classes,
functions, the URL and template machinery they import) are frozen out of the garbage collector.

They live as long as the process, yet every full collection walked all of them again (about
110,000), and so did the interpreter at exit: a quarter of a second for a command or sweep that has
nothing to do (issue 14: the escalation job, nothing due). Frozen (gc.freeze, Python's own
recommendation for long-lived start-up state and for forking servers such as the Celery prefork
pool), later collections and the exit walk only what the process made afterwards.
"""
