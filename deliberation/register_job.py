"""Applying a large owners' register in the background, all or nothing, with progress.

The preview (parse and plan) stays in the request; only the apply step, for files over
REGISTER_BACKGROUND_BYTES, runs on a task worker. It is one transaction: a worker killed
midway leaves the register as it was, and the job, queued again, applies it whole.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_noop

from deliberation import register_io
from deliberation.jobs import JobError
from deliberation.messages import Message


def apply_register(job, progress):
    community, by = job.community, job.started_by
    token = job.params["token"]
    data = register_io.stashed_upload(community, by, token)
    if data is None:
        raise JobError(
            Message(
                gettext_noop(
                    "This preview has expired or was already applied. Upload the file again."
                )
            ),
            retry=False,
        )
    try:
        plan = register_io.import_register(
            community,
            data,
            by=by,
            create_buildings=job.params.get("create_buildings", False),
            expected=job.params["fingerprint"],
            progress=progress,
        )
    except register_io.RegisterChanged:
        raise JobError(
            Message(
                gettext_noop(
                    "The register changed after your preview, so nothing was imported. Upload "
                    "the file again."
                )
            ),
            retry=False,
        ) from None
    except register_io.RegisterRejected:
        raise JobError(
            Message(
                gettext_noop(
                    "The file has errors, so nothing was imported. Upload it again to see them."
                )
            ),
            retry=False,
        ) from None
    except register_io.RegisterFileError as problem:
        # Worded in the site's language, as register_io words it.
        raise JobError(str(problem), retry=False) from None
    except PermissionDenied:
        raise JobError(
            Message(gettext_noop("You may no longer import this register.")), retry=False
        ) from None
    register_io.discard_upload(community, by, token)
    return [{"counts": plan.counts()}]
