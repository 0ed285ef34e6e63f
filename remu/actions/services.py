from django.db import transaction


@transaction.atomic
def save_action(form, periods_formset):
    """Saves an action and its centre / company periods together, or nothing."""
    action = form.save()
    periods_formset.instance = action
    periods_formset.save()
    return action
