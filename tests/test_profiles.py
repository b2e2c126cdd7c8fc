"""Profiles: the TOML file users write, read into typed settings, with every mistake named."""

from __future__ import annotations

from pathlib import Path

import pytest

from ackwb.errors import InputError
from ackwb.profiles import (
    ENV_VAR,
    DnsSettings,
    IngressSettings,
    Profile,
    SshSettings,
    find_profiles_file,
    load_profile,
    load_profiles,
    profile_names,
)
from ackwb.sources.base import ClusterSettings

FULL = """
[profiles.qas]
kubeconfig = "~/.kube/qas.yaml"
context = "qas"
region = "cn-hangzhou"
credential_profile = "ops-readonly"
cluster_id = "cba29e8ad42d942df1004a17f2d1ba53c"

[profiles.qas.ssh]
user = "admin"
port = 2222
identity_file = "keys/node_ed25519"
jump_host = "ops@bastion.example.com:22"
known_hosts = "/etc/ackwb/known_hosts"
accept_unknown_hosts = true
command_timeout = 15
config_file = "~/.ssh/ack_config"

[profiles.qas.ingress]
namespace = "ingress"
selector = "app.kubernetes.io/name=ingress-nginx"
container = "controller"

[profiles.qas.dns]
resolvers = ["223.5.5.5", "223.6.6.6"]

[profiles.prod]
region = "cn-shanghai"
"""


def write(tmp_path: Path, text: str, name: str = "profiles.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_full_profile_is_read_into_settings(tmp_path: Path) -> None:
    file = write(tmp_path, FULL)
    home = Path.home()
    assert load_profile("qas", file) == Profile(
        name="qas",
        file=file,
        region="cn-hangzhou",
        kubeconfig=str(home / ".kube/qas.yaml"),
        context="qas",
        credential_profile="ops-readonly",
        cluster_id="cba29e8ad42d942df1004a17f2d1ba53c",
        ssh=SshSettings(
            user="admin",
            port=2222,
            identity_file=str(tmp_path / "keys/node_ed25519"),  # relative to the profiles file
            jump_host="ops@bastion.example.com:22",
            known_hosts="/etc/ackwb/known_hosts",
            accept_unknown_hosts=True,
            command_timeout=15.0,
            config_file=str(home / ".ssh/ack_config"),
        ),
        ingress=IngressSettings("ingress", "app.kubernetes.io/name=ingress-nginx", "controller"),
        dns=DnsSettings(resolvers=("223.5.5.5", "223.6.6.6")),
    )


def test_minimal_profile_takes_the_documented_defaults(tmp_path: Path) -> None:
    profile = load_profile("prod", write(tmp_path, FULL))
    assert (profile.region, profile.context, profile.kubeconfig) == (
        "cn-shanghai",
        "",
        str(Path.home() / ".kube/config"),
    )
    home = Path.home()
    assert profile.ssh == SshSettings(known_hosts="", config_file=str(home / ".ssh/config"))
    assert profile.ssh.accept_unknown_hosts is False
    assert profile.ingress == IngressSettings() and profile.dns == DnsSettings()
    assert profile.cluster_settings() == ClusterSettings(region="cn-shanghai")
    assert profile_names(tmp_path / "profiles.toml") == ["prod", "qas"]
    assert sorted(load_profiles(tmp_path / "profiles.toml")) == ["prod", "qas"]


def test_profiles_are_frozen(tmp_path: Path) -> None:
    profile = load_profile("qas", write(tmp_path, FULL))
    with pytest.raises(AttributeError):
        profile.ssh.user = "root"  # type: ignore[misc]


BAD = {
    "unknown key": ('[profiles.qas]\nregion = "x"\njump_hots = "b"\n', ["profile 'qas'", "'jump_hots'"]),
    "unknown ssh key": ('[profiles.qas]\nregion = "x"\n[profiles.qas.ssh]\nusr = "a"\n', ["[ssh]", "'usr'"]),
    "wrong type": ('[profiles.qas]\nregion = "x"\n[profiles.qas.ssh]\nport = "22"\n', ["port = '22'"]),
    "bool as port": ('[profiles.qas]\nregion = "x"\n[profiles.qas.ssh]\nport = true\n', ["port = True"]),
    "negative timeout": (
        '[profiles.qas]\nregion = "x"\n[profiles.qas.ssh]\ncommand_timeout = -1\n',
        ["command_timeout = -1", "positive"],
    ),
    "resolvers not a list": (
        '[profiles.qas]\nregion = "x"\n[profiles.qas.dns]\nresolvers = "1.1.1.1"\n',
        ["resolvers", "list of strings"],
    ),
    "section not a table": ('[profiles.qas]\nregion = "x"\nssh = "root@node"\n', ["'ssh' must be a table"]),
    "region missing": ('[profiles.qas]\ncontext = "qas"\n', ["'region' is missing"]),
    "top-level key": ('default = "qas"\n[profiles.qas]\nregion = "x"\n', ["unknown top-level key 'default'"]),
    "not toml": ("[profiles.qas\n", ["is not valid TOML", "line 1"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_mistakes_name_the_file_profile_and_key(tmp_path: Path, case: str) -> None:
    text, expected = BAD[case]
    file = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_profile("qas", file)
    message = str(caught.value)
    assert str(file) in message
    for part in expected:
        assert part in message


SECRETS = {
    "password": '[profiles.qas]\nregion = "x"\n[profiles.qas.ssh]\npassword = "hunter2"\n',
    "access key": '[profiles.qas]\nregion = "x"\naccess_key_secret = "abc"\n',
    "AccessKeyId": '[profiles.qas]\nregion = "x"\nAccessKeyId = "abc"\n',
    "token": '[profiles.qas]\nregion = "x"\nbearer_token = "abc"\n',
    "nested": '[profiles.qas]\nregion = "x"\n[profiles.qas.extra]\nsecret = "abc"\n',
    "key id as a value": '[profiles.qas]\nregion = "x"\ncontext = "LTAI5tAbCdEfGhIjKlMnOp"\n',
    "private key as a value": (
        '[profiles.qas]\nregion = "x"\n[profiles.qas.ssh]\n'
        'identity_file = "-----BEGIN OPENSSH PRIVATE KEY-----"\n'
    ),
}


@pytest.mark.parametrize("case", sorted(SECRETS))
def test_anything_that_looks_like_a_secret_is_refused(tmp_path: Path, case: str) -> None:
    with pytest.raises(InputError) as caught:
        load_profile("qas", write(tmp_path, SECRETS[case]))
    message = str(caught.value)
    assert "looks like a credential" in message and "credential chain" in message and "kubeconfig" in message
    assert "hunter2" not in message and "LTAI5t" not in message  # the error does not repeat the secret


def test_credential_profile_name_is_not_a_secret(tmp_path: Path) -> None:
    text = '[profiles.qas]\nregion = "x"\ncredential_profile = "readonly"\n'
    assert load_profile("qas", write(tmp_path, text)).credential_profile == "readonly"


def test_missing_profile_lists_the_ones_there_are(tmp_path: Path) -> None:
    file = write(tmp_path, FULL)
    with pytest.raises(InputError, match=r"has no profile 'staging' \(profiles there: prod, qas\)"):
        load_profile("staging", file)


def test_file_is_found_by_option_then_environment_then_cwd_then_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_home, cwd = tmp_path / "xdg", tmp_path / "work"
    (config_home / "ackwb").mkdir(parents=True)
    cwd.mkdir()
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.chdir(cwd)
    with pytest.raises(InputError, match="no profiles file found"):
        find_profiles_file()
    in_home = write(config_home / "ackwb", FULL)
    assert find_profiles_file() == in_home
    in_cwd = write(cwd, FULL, "ackwb.toml")
    assert find_profiles_file() == in_cwd
    from_env = write(tmp_path, FULL, "env.toml")
    monkeypatch.setenv(ENV_VAR, str(from_env))
    assert find_profiles_file() == from_env
    explicit = write(tmp_path, FULL, "explicit.toml")
    assert find_profiles_file(explicit) == explicit
    with pytest.raises(InputError, match=r"does not exist"):
        find_profiles_file(tmp_path / "absent.toml")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "gone.toml"))
    with pytest.raises(InputError, match=rf"gone.toml \(from \${ENV_VAR}\) does not exist"):
        find_profiles_file()


def test_rate_limits_per_product(tmp_path: Path) -> None:
    from ackwb.profiles import load_profile

    path, table = tmp_path / "p.toml", '[profiles.q]\nregion = "cn-hangzhou"\n[profiles.q.cloud]\n'
    path.write_text(table + "rate_limits = { slb = 5, ecs = 2.5 }\n")
    assert load_profile("q", path).cloud.rate_limits == {"slb": 5.0, "ecs": 2.5}
    for bad, said in (("{ slbb = 5 }", "unknown product 'slbb'"), ("{ slb = 0 }", "must be 0 < rate"),
                      ("{ slb = true }", "must be 0 < rate"), ("5", "a table of products")):  # fmt: skip
        path.write_text(table + f"rate_limits = {bad}\n")
        with pytest.raises(InputError, match=said):
            load_profile("q", path)
