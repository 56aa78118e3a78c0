"""Installed only in a test's worker process: after a job's first step it tells the test
through a pipe and then waits for ever, so the test can kill the worker mid-task at a known
point, with no sleeping on either side."""
