"""The speech process: STT and TTS models loaded once per box, served to every web process
over a local socket (see sitespeak.speech.protocol), and the client the web side uses."""
