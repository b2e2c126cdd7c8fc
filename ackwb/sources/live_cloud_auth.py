"""Where ``LiveCloud`` gets its Alibaba Cloud credentials: the standard places, never a profile file of ours.

The OpenAPI SDK (tea-openapi 0.4.x) does not fall back to the default credential chain by
itself, so the chain is built here and handed to every client explicitly:

- no profile name: the SDK's default chain (environment variables, OIDC, the ``aliyun``
  CLI's ``~/.aliyun/config.json``, ``~/.alibabacloud/credentials.ini``, the ECS RAM role,
  ``ALIBABA_CLOUD_CREDENTIALS_URI``);
- a profile name: that profile only, looked up as ``ALIBABA_CLOUD_PROFILE`` would look it
  up (the CLI config first, then the ini file) but without changing ``os.environ``, and
  without falling back to environment variables, so a named profile can never silently
  read another account.

Credentials are only ever passed to the SDK; nothing here prints, logs or stores them.
"""

from __future__ import annotations

from typing import Any

from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.exceptions import CredentialException
from alibabacloud_credentials.provider import CLIProfileCredentialsProvider, ProfileCredentialsProvider
from alibabacloud_credentials_api import ICredentials, ICredentialsProvider


class NamedProfileProvider(ICredentialsProvider):
    """One named profile: the ``aliyun`` CLI's config.json, then credentials.ini."""

    def __init__(self, profile: str, cli_config_file: str | None = None, ini_file: str | None = None) -> None:
        self.profile = profile
        self._providers: list[tuple[str, ICredentialsProvider]] = [
            ("aliyun CLI config", CLIProfileCredentialsProvider(profile_name=profile,
                                                                profile_file=cli_config_file)),
            ("credentials.ini", ProfileCredentialsProvider(profile_name=profile, profile_file=ini_file)),
        ]  # fmt: skip
        self._found: ICredentialsProvider | None = None

    def get_credentials(self) -> ICredentials:
        if self._found is not None:
            return self._found.get_credentials()
        problems = []
        for where, provider in self._providers:
            try:
                credentials = provider.get_credentials()
            except CredentialException as error:
                problems.append(f"{where}: {error}")
                continue
            self._found = provider
            return credentials
        raise CredentialException(f"no credentials for profile {self.profile!r}: " + "; ".join(problems))

    async def get_credentials_async(self) -> ICredentials:
        return self.get_credentials()

    def get_provider_name(self) -> str:
        return f"profile {self.profile}"


def credential_client(
    profile: str = "", *, cli_config_file: str | None = None, ini_file: str | None = None
) -> Any:
    """An ``alibabacloud_credentials`` client: the default chain, or one named profile.

    ``cli_config_file`` / ``ini_file`` replace the standard file locations (tests use them).
    """
    if not profile:
        return CredentialClient()
    return CredentialClient(provider=NamedProfileProvider(profile, cli_config_file, ini_file))
