from django.shortcuts import render

from .selectors import communes_for_postal_code


def lookup(request):
    """htmx: the <option>s of the communes a postal code serves (the « loupe » of seed 000).

    Any parameter whose name ends with `postal_code` is read, so prefixed forms work too; the
    commune already chosen (a parameter ending with `commune`) stays selected if it still fits.
    """
    code = next((v for k, v in request.GET.items() if k.endswith("postal_code")), "")
    selected = next((v for k, v in request.GET.items() if k.endswith("commune")), "")
    communes = communes_for_postal_code(code)
    return render(
        request,
        "communes/options.html",
        {"communes": communes, "code": code, "selected": selected},
    )
