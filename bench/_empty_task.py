"""The empty task of bench.tasks, in its own module so the worker process can import it."""

from django_tasks import task


@task()
def empty():
    return None
