"""The test provider's hooks (settings set by tests/test_oidc.py)."""

from oidc_provider.lib.claims import ScopeClaims

# The identity each provider-side user (pk) asserts, as FranceConnect's « identité pivot ».
IDENTITIES: dict[int, dict] = {}
# The level of assurance put in the ID tokens.
ACR = {"value": "eidas1"}

PIVOT = ["given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry"]


def userinfo(claims, user):
    claims.update(IDENTITIES.get(user.pk, {}))
    return claims


def idtoken_hook(id_token, user, token, request, **kwargs):
    id_token["acr"] = ACR["value"]
    return id_token


class FranceConnectClaims(ScopeClaims):
    """FranceConnect names a scope after each claim it releases."""

    def _claim(self, name):
        return {name: IDENTITIES.get(self.user.pk, {}).get(name)}

    def scope_given_name(self):
        return self._claim("given_name")

    def scope_family_name(self):
        return self._claim("family_name")

    def scope_birthdate(self):
        return self._claim("birthdate")

    def scope_gender(self):
        return self._claim("gender")

    def scope_birthplace(self):
        return self._claim("birthplace")

    def scope_birthcountry(self):
        return self._claim("birthcountry")
