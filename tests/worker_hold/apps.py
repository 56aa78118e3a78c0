import os
import threading

from django.apps import AppConfig


class WorkerHoldConfig(AppConfig):
    name = "tests.worker_hold"

    def ready(self):
        from deliberation.signals import job_progressed

        fd = int(os.environ["GONGYI_TEST_STEP_FD"])

        def hold(sender, job, **kwargs):
            if not job.stage and 0 < job.done < job.total:
                os.write(fd, f"{job.done}/{job.total}\n".encode())
                threading.Event().wait()  # until the test kills this process

        job_progressed.connect(hold, weak=False)
