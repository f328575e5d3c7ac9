"""Settings come from the environment; a dump never shows a secret; the CLI is assembled."""

from __future__ import annotations

import pytest

from schemas.cli import build_parser, main
from schemas.settings import KafkaSettings


def test_bootstrap_servers_and_prefix_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "a:1, b:2")
    monkeypatch.setenv("WIJKHUB_TOPIC_PREFIX", "buurt7")
    settings = KafkaSettings()
    assert settings.servers == ["a:1", "b:2"]
    assert settings.topic("proposals.v1") == "buurt7.proposals.v1"


def test_secret_never_in_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIJKHUB_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("WIJKHUB_KAFKA_SASL_USERNAME", "corporatie")
    monkeypatch.setenv("WIJKHUB_KAFKA_SASL_PASSWORD", "s3cret-pw")
    settings = KafkaSettings()
    assert "s3cret-pw" not in repr(settings)
    assert "s3cret-pw" not in settings.model_dump_json()
    assert settings.kafka_python_config()["sasl_plain_password"] == "s3cret-pw"


def test_bad_prefix_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIJKHUB_TOPIC_PREFIX", "no spaces")
    with pytest.raises(ValueError, match="WIJKHUB_TOPIC_PREFIX"):
        KafkaSettings()


def test_cli_has_the_hub_worker_command() -> None:
    parser = build_parser()
    args = parser.parse_args(["worker", "--loglevel", "info"])
    assert args.loglevel == "info"
    assert callable(args.handler)


def test_cli_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_partial_install_names_the_extra_to_install() -> None:
    from schemas.cli import missing_module_message

    assert "pip install 'wijkhub[hub]'" in missing_module_message("worker", "faust")
    assert "pip install 'wijkhub[inbox]'" in missing_module_message("inbox", "fastapi.routing")
    assert "not installed" in missing_module_message("x", "somethingelse")


def test_missing_module_in_a_command_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_faust(name: str, *args: object, **kwargs: object) -> object:
        if name == "faust" or name.startswith("faust."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.delitem(__import__("sys").modules, "streams.runtime.worker", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_faust)
    assert main(["worker"]) == 1
    assert "pip install 'wijkhub[hub]'" in capsys.readouterr().err
