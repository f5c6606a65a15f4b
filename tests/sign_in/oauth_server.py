"""A real OAuth 2.0 / OpenID Connect provider for the tests, on a loopback port.

Built on Authlib's authorization server (its Flask integration), served by
werkzeug in a thread. It checks what a real provider checks: the client secret,
the registered redirect URI (at authorization, and the same one again at the
token endpoint), the PKCE verifier (S256, required), the OpenID nonce, and it
redeems each code once. Only its login page is left out: the browser counts as
signed in at the provider as ``signed_in``.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

# One signing key for the whole run: generating RSA keys is slow.
_SIGNING_KEY = RSAKey.generate_key(2048, parameters={"kid": "test-key"})


@dataclass
class ProviderUser:
    subject: str
    username: str
    name: str
    email: str | None = None
    email_verified: bool = True


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)
    auth_method: str = "client_secret_basic"
    client_metadata: dict[str, Any] = field(default_factory=dict)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: ProviderUser
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass
class Token(TokenMixin):
    access_token: str
    scope: str
    client: Client
    user: ProviderUser
    expires_at: float

    def check_client(self, client: ClientMixin) -> bool:
        return client.get_client_id() == self.client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int(self.expires_at - time.time())

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return False

    def get_user(self) -> ProviderUser:
        return self.user

    def get_client(self) -> Client:
        return self.client


def _claims(user: ProviderUser, scope: str) -> UserInfo:
    info = UserInfo(sub=user.subject, preferred_username=user.username, name=user.name)
    if "email" in scope.split() and user.email is not None:
        info["email"], info["email_verified"] = user.email, user.email_verified
    return info


class OAuthProvider:
    """The provider, its clients, and who is signed in at it."""

    def __init__(self) -> None:
        self.clients: dict[str, Client] = {}
        self.signed_in = ProviderUser("1001", "alice", "Alice Liddell", "alice@example.org")
        self._codes: dict[str, Code] = {}
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()  # werkzeug serves each request in its own thread
        self.app = self._app()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> OAuthProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join()

    def register(self, client_id: str, client_secret: str, redirect_uris: list[str],
                 auth_method: str) -> None:
        self.clients[client_id] = Client(client_id, client_secret, redirect_uris, auth_method)

    def _app(self) -> Flask:
        app = Flask(__name__)
        provider = self

        class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
            def save_authorization_code(self, code: str, request: Any) -> None:
                data = request.payload.data
                with provider._lock:
                    provider._codes[code] = Code(
                        code, request.client.client_id, request.payload.redirect_uri,
                        request.scope or "", request.user, data.get("nonce"),
                        data.get("code_challenge"), data.get("code_challenge_method"),
                    )

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                found = provider._codes.get(code)
                return found if found and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                with provider._lock:
                    provider._codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> ProviderUser:
                return authorization_code.user

        class ProviderOpenIDCode(OpenIDCode):
            def exists_nonce(self, nonce: str, request: Any) -> bool:
                return any(code.nonce == nonce for code in provider._codes.values())

            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return _SIGNING_KEY

            def get_client_algorithm(self, client: Client) -> str:
                return "RS256"

            def get_encode_header(self, client: Client) -> dict[str, str]:
                return {"alg": "RS256", "kid": "test-key"}

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                return {"iss": provider.url, "aud": [client.client_id]}

            def generate_user_info(self, user: ProviderUser, scope: str) -> UserInfo:
                return _claims(user, scope)

        class ProviderUserInfo(UserInfoEndpoint):
            def get_issuer(self) -> str:
                return provider.url

            def generate_user_info(self, user: ProviderUser, scope: str) -> UserInfo:
                return _claims(user, scope)

        class Bearer(BearerTokenValidator):
            def authenticate_token(self, token_string: str) -> Token | None:
                return provider._tokens.get(token_string)

        def save_token(token: dict[str, Any], request: Any) -> None:
            with provider._lock:
                provider._tokens[token["access_token"]] = Token(
                    token["access_token"], token.get("scope", ""), request.client, request.user,
                    time.time() + token["expires_in"],
                )

        server = AuthorizationServer(app, query_client=self.clients.get, save_token=save_token)
        server.register_grant(
            AuthorizationCodeGrant,
            [CodeChallenge(required=True), ProviderOpenIDCode(require_nonce=True)],
        )
        protector = ResourceProtector()
        protector.register_token_validator(Bearer())
        server.register_endpoint(ProviderUserInfo(resource_protector=protector))

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            return jsonify({
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "userinfo_endpoint": f"{self.url}/userinfo",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            })

        @app.get("/jwks")
        def jwks() -> Any:
            return jsonify({"keys": [_SIGNING_KEY.as_dict(private=False)]})

        @app.get("/authorize")
        def authorize() -> Any:
            try:
                grant = server.get_consent_grant(end_user=self.signed_in)
            except OAuth2Error as error:
                return server.handle_error_response(None, error)
            return server.create_authorization_response(grant=grant, grant_user=self.signed_in)

        @app.post("/token")
        def token() -> Any:
            return server.create_token_response()

        @app.get("/userinfo")
        def userinfo() -> Any:
            return server.create_endpoint_response("userinfo")

        # What GitHub-like providers answer: no OpenID, a numeric "id" and a "login".
        @app.get("/api/user")
        @protector()
        def plain_user() -> Any:
            user = self.signed_in
            return jsonify({"id": int(user.subject), "login": user.username, "name": user.name,
                            "email": user.email})

        return app
