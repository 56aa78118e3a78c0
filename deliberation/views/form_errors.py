"""A service call run for a form: its refusal becomes the form's error, shown on the page."""

from django.core.exceptions import ValidationError


def apply_call(form, call):
    """Run a service call; its ValidationError becomes the form's error. True on success."""
    try:
        call()
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return False
    return True
