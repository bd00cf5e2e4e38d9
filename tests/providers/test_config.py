"""Provider settings: instance Settings overridden per site by options.providers; the key comes
only from Settings and is never sent to a base URL a site chose."""

from __future__ import annotations

import pytest

from sitespeak.errors import InvalidInput
from sitespeak.providers.config import api_key, resolve
from sitespeak.settings import Settings

KEY = "sk-instance-secret-0123456789"


def test_a_site_overrides_the_instance_choice_stage_by_stage():
    settings = Settings(openai_api_key=KEY, provider_tts="openai", openai_tts_voice="alloy")
    choice = resolve(settings, {"providers": {"answerer": "openai", "voice": "verse"}})
    assert (choice.stt, choice.answerer, choice.tts) == ("local", "openai", "openai")
    assert choice.voice == "verse" and choice.chat_model == settings.openai_chat_model
    assert resolve(settings).answerer == "local"


def test_the_key_goes_only_to_the_instance_base_url():
    settings = Settings(openai_api_key=KEY, openai_base_url="https://api.openai.com/v1/")
    own = resolve(settings, {"providers": {"base_url": "https://api.openai.com/v1"}})
    assert own.send_key and api_key(settings, own) == KEY
    elsewhere = resolve(settings, {"providers": {"base_url": "http://10.0.0.5:8000/v1"}})
    assert not elsewhere.send_key and api_key(settings, elsewhere) == "none"
    assert elsewhere.realtime_url == "ws://10.0.0.5:8000/v1"


def test_a_choice_holds_no_secret_and_records_its_providers():
    settings = Settings(openai_api_key=KEY, provider_answerer="openai")
    choice = resolve(settings)
    assert KEY not in choice.model_dump_json() and KEY not in str(choice.record())
    assert choice.record() == {
        "stt": "faster-whisper",
        "answer": "openai:gpt-4o-mini",
        "tts": "piper",
    }
    assert resolve(settings, {"providers": {"realtime": True}}).record()["mode"] == "realtime"


@pytest.mark.parametrize(
    "options, message",
    [
        ({"stt": "whisper"}, "options.providers.stt: Input should be 'local' or 'openai'"),
        ({"api_key": "sk-x"}, "options.providers.api_key: Extra inputs are not permitted"),
        ({"base_url": "ftp://x"}, "options.providers.base_url: String should match pattern"),
    ],
)
def test_bad_site_options_are_refused_with_the_field_named(options, message):
    with pytest.raises(InvalidInput) as caught:
        resolve(Settings(), {"providers": options})
    assert caught.value.message.startswith(message)


def test_the_key_can_come_from_a_secret_file(tmp_path, monkeypatch):
    from sitespeak.settings import load_settings

    secret = tmp_path / "key"
    secret.write_text(KEY + "\n")
    monkeypatch.setenv("SITESPEAK_OPENAI_API_KEY_FILE", str(secret))
    monkeypatch.setenv("SITESPEAK_ENV_FILE", "")
    assert load_settings().openai_api_key.get_secret_value() == KEY
    assert KEY not in repr(load_settings())
