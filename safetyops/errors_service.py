"""An error a service raises for the person to read (and the view to show beside a field)."""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def attach(self, form) -> None:
        """Show the message beside its field (or at the top of the form)."""
        target = getattr(form, self.field, None) if self.field else None
        if target is not None:
            target.errors = list(target.errors) + [self.message]
        else:
            form.form_errors.append(self.message)
