"""Applying a large owners' register in the background, all or nothing, with progress.

The preview (parse and plan) stays in the request; only the apply step, for files over
REGISTER_BACKGROUND_BYTES, runs on a task worker. It is one transaction: a worker killed
midway leaves the register as it was, and the job, queued again, applies it whole.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from deliberation import register_io
from deliberation.jobs import JobError


def apply_register(job, progress):
    community, by = job.community, job.started_by
    token = job.params["token"]
    data = register_io.stashed_upload(community, by, token)
    if data is None:
        raise JobError(_("This preview has expired or was already applied. Upload the file again."))
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
            _(
                "The register changed after your preview, so nothing was imported. Upload the "
                "file again."
            )
        ) from None
    except register_io.RegisterRejected:
        raise JobError(
            _("The file has errors, so nothing was imported. Upload it again to see them.")
        ) from None
    except register_io.RegisterFileError as problem:
        raise JobError(str(problem)) from None
    except PermissionDenied:
        raise JobError(_("You may no longer import this register.")) from None
    register_io.discard_upload(community, by, token)
    return [{"counts": plan.counts()}]
