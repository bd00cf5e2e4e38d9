// SiteSpeak microphone capture: whatever rate the AudioContext runs at, post 16 kHz PCM16
// little-endian frames of 20 ms (320 samples, 640 bytes) to the main thread.
class SiteSpeakCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / 16000; // input samples per output sample
    this.pos = 0; // fractional read position into the current input block
    this.prev = 0;
    this.frame = new Int16Array(320);
    this.fill = 0;
  }

  push(value) {
    const s = Math.max(-1, Math.min(1, value));
    this.frame[this.fill++] = s < 0 ? s * 0x8000 : s * 0x7fff;
    if (this.fill === 320) {
      this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
      this.frame = new Int16Array(320);
      this.fill = 0;
    }
  }

  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    if (this.step === 1) {
      for (let i = 0; i < input.length; i++) this.push(input[i]);
      return true;
    }
    // Linear interpolation; averaging over the step keeps aliasing down for 44.1/48 kHz input.
    while (this.pos < input.length) {
      const i = Math.floor(this.pos);
      const from = Math.max(0, Math.floor(this.pos - this.step / 2));
      let sum = 0, n = 0;
      for (let j = from; j <= i; j++) { sum += input[j]; n++; }
      this.push(n ? sum / n : (i > 0 ? input[i - 1] : this.prev));
      this.pos += this.step;
    }
    this.pos -= input.length;
    this.prev = input[input.length - 1];
    return true;
  }
}

registerProcessor("sitespeak-capture", SiteSpeakCapture);
