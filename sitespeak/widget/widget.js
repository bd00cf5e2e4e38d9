/* SiteSpeak widget: one script tag gives a page a voice assistant (docs/voice-protocol.md).
   <script src="https://BOX/widget.js" data-site-key="pk_..." async></script>
   Options: data-position (bottom-right|bottom-left), data-theme (auto|light|dark),
   data-locale, data-voice (on|off), data-greeting, data-title, data-echo-cancellation (on|off),
   data-ack (on|off: the soft sound when a question was heard; the site's options can turn it off).
   API: SiteSpeak.open(), close(), ask(text), on(event, fn) → unsubscribe, stats(). */
(function () {
  "use strict";
  if (window.SiteSpeak && window.SiteSpeak.version) return;
  var VERSION = "__SITESPEAK_VERSION__";
  var script = document.currentScript || document.querySelector("script[data-site-key]");
  if (!script) return;
  var BASE = new URL(script.src, location.href).origin;
  var d = script.dataset;
  var cfg = {
    key: d.siteKey || "",
    left: d.position === "bottom-left",
    theme: /^(light|dark)$/.test(d.theme || "") ? d.theme : "auto",
    locale: /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(d.locale || navigator.language || "")
      ? (d.locale || navigator.language) : "en-US",
    voice: d.voice !== "off",
    echo: d.echoCancellation !== "off",
    ack: d.ack !== "off",
    greeting: (d.greeting || "Hi! Ask me anything about this site.").replace(/\s+/g, " ").trim(),
    title: d.title || "Site assistant"
  };
  var STORE_KEY = "sitespeak:" + cfg.key;
  var JITTER_S = 0.08; // audio held before the first frame of an answer plays
  var VAD_RMS = 900, VAD_FRAMES = 4; // ~-31 dBFS for 80 ms = the visitor is talking
  // No state may wait forever: a session that does not become ready, or a turn during which the
  // server says nothing at all, ends with a message the visitor can act on.
  var CONNECT_MS = 15000, ANSWER_MS = 30000;
  // Never warm up a page whose mere loading might do something.
  var RISKY_PATH = /(log-?out|sign-?out|delete|remove|cancel|unsubscribe|checkout|pay|buy|order|confirm)/i;
  var listeners = {};
  var stats = { state: "idle", resumed: false, turns: 0, chunks: 0, scheduled: 0, played: 0,
                captured: 0, bargeIns: 0, acks: 0, actions: [], prefetched: [], highlighted: [] };

  function emit(name, data) {
    (listeners[name] || []).slice().forEach(function (fn) {
      try { fn(data); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }

  // --- state kept across page loads (sessionStorage: this tab only) ---------------------------
  var store = (function () {
    try { return JSON.parse(sessionStorage.getItem(STORE_KEY) || "{}"); } catch (e) { return {}; }
  })();
  store.log = store.log || [];
  function save() {
    store.log = store.log.slice(-30);
    try { sessionStorage.setItem(STORE_KEY, JSON.stringify(store)); } catch (e) { /* private */ }
  }

  // --- UI in a shadow root: the page's CSS cannot reach in, ours cannot leak out ---------------
  var CSS = ":host{all:initial!important;position:fixed!important;z-index:2147483000!important;" +
    "bottom:20px!important;" + (cfg.left ? "left" : "right") + ":20px!important;display:block!important;" +
    "width:auto!important;height:auto!important;margin:0!important;padding:0!important;border:0!important;" +
    "transform:none!important;opacity:1!important;visibility:visible!important}" +
    ".r{--bg:#fff;--fg:#1c2430;--mut:#5b6675;--line:#dde2e8;--acc:#2457d6;--accfg:#fff;--me:#eaf0fd;" +
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);" +
    "text-align:left;letter-spacing:normal;text-transform:none}" +
    ".r.dark{--bg:#171b22;--fg:#e8ecf2;--mut:#a3adbb;--line:#2c3440;--acc:#6d95ff;--accfg:#0b1020;--me:#243252}" +
    "@media (prefers-color-scheme:dark){.r.auto{--bg:#171b22;--fg:#e8ecf2;--mut:#a3adbb;--line:#2c3440;" +
    "--acc:#6d95ff;--accfg:#0b1020;--me:#243252}}" +
    "*{box-sizing:border-box;font:inherit;color:inherit}[hidden]{display:none!important}" +
    "button{cursor:pointer;border:0;background:none;padding:0}" +
    ":focus-visible{outline:3px solid var(--acc);outline-offset:2px}" +
    ".launch{width:56px;height:56px;border-radius:50%;background:var(--acc);color:var(--accfg);" +
    "box-shadow:0 6px 20px rgba(0,0,0,.25);display:grid;place-items:center;float:" + (cfg.left ? "left" : "right") + "}" +
    ".launch svg,.mic svg,.send svg{width:26px;height:26px;fill:currentColor}" +
    ".panel{position:absolute;bottom:70px;" + (cfg.left ? "left" : "right") + ":0;width:min(370px,calc(100vw - 24px));" +
    "height:min(540px,calc(100vh - 110px));background:var(--bg);border:1px solid var(--line);" +
    "border-radius:16px;box-shadow:0 12px 40px rgba(0,0,0,.22);display:flex;flex-direction:column;overflow:hidden}" +
    "header{display:flex;align-items:center;gap:10px;padding:12px 14px;border-bottom:1px solid var(--line)}" +
    "h2{margin:0;font-size:16px;font-weight:650;flex:1}" +
    ".st{font-size:12.5px;color:var(--mut);display:flex;align-items:center;gap:6px}" +
    ".dot{width:9px;height:9px;border-radius:50%;background:var(--mut)}" +
    ".listening .dot{background:#16a34a;animation:p 1s infinite}.thinking .dot{background:#d97706;animation:p .6s infinite}" +
    ".speaking .dot{background:var(--acc);animation:p .8s infinite}@keyframes p{50%{opacity:.35}}" +
    ".x{width:32px;height:32px;border-radius:8px;font-size:22px;line-height:1;color:var(--mut)}" +
    ".x:hover{background:var(--line)}" +
    ".log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px}" +
    ".m{max-width:88%;padding:9px 12px;border-radius:14px;white-space:pre-wrap;word-wrap:break-word}" +
    ".bot{background:transparent;border:1px solid var(--line);align-self:flex-start;border-bottom-left-radius:4px}" +
    ".me{background:var(--me);align-self:flex-end;border-bottom-right-radius:4px}.me.live{opacity:.7;font-style:italic}" +
    ".cites{margin:6px 0 0;padding:0 0 0 18px;font-size:13px}.cites a{color:var(--acc);text-decoration:underline}" +
    ".err{margin:0 14px 10px;padding:9px 12px;border-radius:10px;background:#fdecec;color:#8a1c1c;font-size:14px}" +
    ".ok{margin:0 14px 10px;padding:10px 12px;border-radius:10px;border:1px solid var(--acc)}" +
    ".ok p{margin:0 0 6px;font-weight:600}.ok ul{margin:0 0 8px;padding-left:18px;font-size:14px}" +
    ".ok .b{display:flex;gap:8px}" +
    ".pri,.sec{padding:8px 14px;border-radius:9px;font-weight:600}.pri{background:var(--acc);color:var(--accfg)}" +
    ".sec{border:1px solid var(--line)}" +
    "form{display:flex;gap:6px;padding:10px;border-top:1px solid var(--line);align-items:center}" +
    "input{flex:1;min-width:0;padding:10px 12px;border:1px solid var(--line);border-radius:22px;background:var(--bg);" +
    "font-size:16px}" +
    ".send,.mic{width:42px;height:42px;border-radius:50%;display:grid;place-items:center;color:var(--acc)}" +
    ".mic[aria-pressed=true]{background:#16a34a;color:#fff}" +
    "input:disabled{opacity:.6;cursor:not-allowed}.send:disabled,.mic:disabled{opacity:.35;cursor:not-allowed}" +
    ".fb{display:flex;gap:4px;margin-top:4px}.fb svg{width:16px;height:16px;fill:var(--mut);display:block}" +
    ".fb [data-vote=down] svg{transform:rotate(180deg)}.fb button{padding:4px 6px;border-radius:6px}" +
    ".fb button[aria-pressed=true] svg{fill:var(--acc)}" +
    ".fb button[aria-pressed=true]{background:var(--me)}.fb button:disabled:not([aria-pressed]){opacity:.4}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    ".phone .panel{position:fixed;left:0;right:0;bottom:0;width:calc(100vw / var(--k,1));" +
    "height:min(calc(85vh / var(--k,1)),600px);" +
    "border-radius:16px 16px 0 0}";
  var THUMB = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.3l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z"/></svg>';
  var MIC = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V21h2v-3.1A7 7 0 0 0 19 11z"/></svg>';
  var HTML = '<div class="r ' + cfg.theme + '">' +
    '<section class="panel" id="p" role="dialog" aria-labelledby="t" hidden>' +
    '<header><h2 id="t"></h2><span class="st idle" role="status" aria-live="polite"><span class="dot"></span>' +
    '<span class="stt">Ready</span></span><button class="x" type="button" aria-label="Close the assistant">&times;</button></header>' +
    '<div class="log" role="log" aria-live="polite" aria-label="Conversation"></div>' +
    '<div class="ok" role="group" aria-label="Please confirm" hidden><p></p><ul></ul><div class="b">' +
    '<button class="pri" type="button"></button><button class="sec" type="button">Cancel</button></div></div>' +
    '<div class="err" role="alert" hidden></div>' +
    '<form><label class="sr" for="q">Type your question</label>' +
    '<input id="q" type="text" autocomplete="off" enterkeyhint="send" maxlength="1000" placeholder="Type a question…">' +
    '<button class="send" type="submit" aria-label="Send"><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 20l18-8L3 4v6l12 2-12 2z"/></svg></button>' +
    '<button class="mic" type="button" aria-pressed="false" aria-label="Start talking">' + MIC + '</button></form>' +
    '</section><button class="launch" type="button" aria-controls="p" aria-expanded="false" ' +
    'aria-label="Open the site assistant">' + MIC + '</button></div>';

  var host = document.createElement("sitespeak-widget");
  var root = host.attachShadow({ mode: "open" });
  try { // constructable sheets are not blocked by a host page's style-src CSP
    var sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); root.adoptedStyleSheets = [sheet];
  } catch (e) { var st = document.createElement("style"); st.textContent = CSS; root.appendChild(st); }
  var wrap = document.createElement("div");
  wrap.innerHTML = HTML;
  root.appendChild(wrap.firstChild);
  function $(sel) { return root.querySelector(sel); }
  function fit() { // a phone, even on a page without a viewport meta tag (innerWidth 980)
    var r = $(".r"), vv = window.visualViewport;
    r.classList.toggle("phone", Math.min(innerWidth, screen.width) <= 480);
    // A phone page without a viewport meta tag is shown zoomed out (scale ~0.38): 15 px text
    // would be 6 px on the glass. Zoom the widget back by as much; never shrink it.
    var k = vv && vv.scale > 0 && vv.scale < 1 ? Math.min(1 / vv.scale, 4) : 1;
    k = Math.round(k * 100) / 100;
    r.style.zoom = k === 1 ? "" : String(k);
    r.style.setProperty("--k", String(k));
  }
  fit(); addEventListener("resize", fit);
  if (window.visualViewport) visualViewport.addEventListener("resize", fit);
  var ui = { panel: $(".panel"), launch: $(".launch"), close: $(".x"), log: $(".log"), err: $(".err"),
             form: $("form"), input: $("#q"), mic: $(".mic"), send: $(".send"), state: $(".st"),
             stateText: $(".stt"),
             ok: $(".ok") };
  $("#t").textContent = cfg.title;
  if (!cfg.voice) ui.mic.hidden = true;

  var STATES = { idle: "Ready", connecting: "Connecting…", listening: "Listening", thinking: "Thinking…",
                 speaking: "Speaking", error: "Unavailable" };
  function setState(name) {
    if (stats.state === name) return;
    stats.state = name;
    ui.state.className = "st " + name;
    ui.stateText.textContent = STATES[name] || name;
    emit("state", name);
  }
  function settle() { if (!turnOpen && !player.playing()) setState(mic.on ? "listening" : "idle"); }

  function showError(text) {
    if (fatal && !text) return; // the reason the widget cannot work stays in view
    ui.err.textContent = text; ui.err.hidden = !text;
    if (text) emit("error", text);
  }
  function disable(reason) { // nothing the visitor types or says could be answered here
    fatal = true; turnOpen = false; wait(0); outbox = [];
    setState("error"); showError(reason);
    if (mic.on) { mic.stop(); ui.mic.setAttribute("aria-pressed", "false"); }
    ui.input.disabled = ui.send.disabled = ui.mic.disabled = true;
    ui.input.placeholder = "The assistant is unavailable here";
  }
  var waitTimer = 0; // the one thing the widget is waiting for: a ready session, or an answer
  function wait(ms, onTimeout) {
    clearTimeout(waitTimer);
    waitTimer = ms ? setTimeout(function () { waitTimer = 0; onTimeout(); }, ms) : 0;
  }
  function expectAnswer() { // (re)armed by every message from the server during a turn
    wait(ANSWER_MS, function () {
      turnOpen = false; current = null; player.stop();
      if (live) { live.remove(); live = null; }
      send({ type: "response.cancel" });
      setState(mic.on ? "listening" : "idle");
      showError("No answer came in time. Please ask again.");
    });
  }

  // --- the conversation log ---------------------------------------------------------------------
  function safeUrl(url) {
    try { var u = new URL(url, location.href); return /^https?:$/.test(u.protocol) ? u.href : ""; }
    catch (e) { return ""; }
  }
  function render(item) {
    var el = document.createElement("div");
    el.className = "m " + (item.who === "me" ? "me" : "bot");
    el.textContent = item.text;
    if (item.cites && item.cites.length) {
      var ol = document.createElement("ol"); ol.className = "cites"; ol.setAttribute("aria-label", "Sources");
      item.cites.forEach(function (c) {
        var href = safeUrl(c.url + (c.anchor ? "#" + c.anchor : ""));
        if (!href) return;
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = href; a.textContent = c.title || c.url; li.appendChild(a); ol.appendChild(li);
      });
      el.appendChild(ol);
    }
    ui.log.appendChild(el);
    ui.log.scrollTop = ui.log.scrollHeight;
    return el;
  }
  // The site's own greeting (session.ready) replaces the default one while nothing else was said.
  function greet(text) {
    var first = store.log[0];
    cfg.greeting = text;
    if (store.log.length !== 1 || first.who !== "bot" || first.text === text) return;
    first.text = text; save();
    var el = ui.log.querySelector(".m.bot");
    if (el) el.textContent = text;
  }
  function addMessage(who, text, cites) {
    var item = { who: who, text: text, cites: cites || [] };
    store.log.push(item); save();
    return render(item);
  }
  store.log.forEach(render);

  // --- answer audio: a small jitter buffer, then gapless scheduling ------------------------------
  var player = {
    ctx: null, rate: 24000, next: 0, sources: [], held: [], heldSec: 0, started: false, timer: 0,
    muted: false, // after a barge-in: frames already in flight belong to the cancelled answer
    unlock: function () {
      if (!cfg.voice) return;
      if (!this.ctx) { try { this.ctx = new AudioContext(); } catch (e) { return; } }
      if (this.ctx.state === "suspended") this.ctx.resume();
    },
    push: function (buf) {
      if (!cfg.voice || this.muted) return;
      this.unlock();
      if (!this.ctx) return;
      var pcm = new Int16Array(buf), f = new Float32Array(pcm.length);
      for (var i = 0; i < pcm.length; i++) f[i] = pcm[i] / 32768;
      stats.chunks++;
      this.held.push(f); this.heldSec += f.length / this.rate;
      if (this.started || this.heldSec >= JITTER_S) this.flush();
      else if (!this.timer) this.timer = setTimeout(this.flush.bind(this), 120);
    },
    flush: function () {
      clearTimeout(this.timer); this.timer = 0;
      var ctx = this.ctx, self = this;
      if (!ctx) return;
      this.started = true;
      this.held.forEach(function (f) {
        var b = ctx.createBuffer(1, f.length, self.rate);
        b.copyToChannel(f, 0);
        var s = ctx.createBufferSource();
        s.buffer = b; s.connect(ctx.destination);
        // An underrun restarts the clock a little ahead instead of clicking through the past.
        if (self.next < ctx.currentTime + 0.005) self.next = ctx.currentTime + 0.03;
        s.start(self.next); self.next += b.duration; stats.scheduled += b.duration;
        s.onended = function () {
          var i = self.sources.indexOf(s);
          if (i < 0) return;
          self.sources.splice(i, 1); stats.played += b.duration;
          if (!self.sources.length) { emit("playback.end"); settle(); maybeLeave(); }
        };
        self.sources.push(s);
      });
      this.held = []; this.heldSec = 0;
      if (this.sources.length) setState("speaking");
    },
    stop: function () {
      clearTimeout(this.timer); this.timer = 0;
      var old = this.sources; this.sources = [];
      old.forEach(function (s) { try { s.stop(); } catch (e) { /* not started */ } });
      this.held = []; this.heldSec = 0; this.started = false; this.next = 0;
    },
    newTurn: function () { this.stop(); this.muted = false; },
    // The visitor hears at once that they were heard, even when the answer takes a while: two
    // soft sine notes (~0.2 s) made here, so no file to fetch and no work for the server.
    ack: function () {
      this.unlock();
      var ctx = this.ctx;
      if (!ctx) return;
      var t = ctx.currentTime + 0.01;
      [[660, 0], [880, 0.07]].forEach(function (note) {
        var osc = ctx.createOscillator(), gain = ctx.createGain(), at = t + note[1];
        osc.type = "sine"; osc.frequency.value = note[0];
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.05, at + 0.015);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.13);
        osc.connect(gain); gain.connect(ctx.destination);
        osc.start(at); osc.stop(at + 0.14);
      });
      this.next = Math.max(this.next, t + 0.22); // the answer starts after the sound, not over it
      stats.acks++; emit("ack");
    },
    playing: function () { return this.sources.length > 0 || this.held.length > 0; }
  };

  // --- microphone: AudioWorklet → 16 kHz PCM16 20 ms frames; client VAD for barge-in -------------
  var mic = {
    on: false, ctx: null, stream: null, node: null, voiced: 0,
    start: async function () {
      if (!navigator.mediaDevices || !window.AudioWorkletNode) {
        throw new Error("This browser cannot record audio here; please type your question.");
      }
      var c = { echoCancellation: cfg.echo, noiseSuppression: cfg.echo, autoGainControl: cfg.echo, channelCount: 1 };
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: c });
      try { this.ctx = new AudioContext({ sampleRate: 16000 }); } catch (e) { this.ctx = new AudioContext(); }
      await this.ctx.audioWorklet.addModule(BASE + "/widget/" + VERSION + "/capture-worklet.js");
      this.node = new AudioWorkletNode(this.ctx, "sitespeak-capture");
      this.node.port.onmessage = function (e) { onFrame(e.data); };
      this.ctx.createMediaStreamSource(this.stream).connect(this.node);
      this.node.connect(this.ctx.destination); // outputs silence; keeps the node pulled
      this.on = true;
    },
    stop: function () {
      if (this.stream) this.stream.getTracks().forEach(function (t) { t.stop(); });
      if (this.ctx) this.ctx.close();
      this.on = false; this.ctx = this.stream = this.node = null; this.voiced = 0;
    }
  };
  function onFrame(buf) {
    stats.captured++;
    var pcm = new Int16Array(buf), sum = 0;
    for (var i = 0; i < pcm.length; i++) sum += pcm[i] * pcm[i];
    mic.voiced = Math.sqrt(sum / pcm.length) > VAD_RMS ? mic.voiced + 1 : 0;
    if (mic.voiced === VAD_FRAMES) {
      if (player.playing()) bargeIn();
      if (!turnOpen) setState("listening");
    }
    if (ws && ready) ws.send(buf);
  }
  function bargeIn() {
    stats.bargeIns++;
    player.stop(); player.muted = true;
    send({ type: "response.cancel" });
    emit("barge-in");
  }
  // The site's greeting is spoken once per conversation, when the visitor first turns the
  // microphone on before asking anything (a typed conversation stays silent).
  function greetAloud() {
    var asked = store.log.some(function (m) { return m.who === "me"; });
    if (store.greeted || asked) return;
    store.greeted = true; save();
    send({ type: "greeting.request" });
    emit("greeting");
  }
  async function toggleMic() {
    player.unlock();
    if (fatal) return;
    if (mic.on) { mic.stop(); send({ type: "input.commit" }); }
    else {
      try { connect(); await mic.start(); showError(""); track("mic.started", {}); greetAloud(); }
      catch (e) {
        mic.stop();
        showError(e && e.name === "NotAllowedError"
          ? "The microphone is blocked. Allow it in your browser, or type your question."
          : (e && e.message) || "The microphone could not start; please type your question.");
      }
    }
    ui.mic.setAttribute("aria-pressed", String(mic.on));
    ui.mic.setAttribute("aria-label", mic.on ? "Stop talking" : "Start talking");
    settle();
  }

  // --- the /voice-ws session ----------------------------------------------------------------------
  var ws = null, ready = false, fatal = false, outbox = [], retries = 0, turnOpen = false;
  var siteAck = true; // the site's option, from session.ready
  var current = null; // the answer being streamed: {el, text}
  var live = null; // the visitor's words being transcribed
  function send(msg) {
    if (ws && ready) ws.send(JSON.stringify(msg));
    else if (msg.type !== "response.cancel") { outbox.push(msg); connect(); }
  }
  function connect() {
    if (ws || fatal || !cfg.key) {
      if (!cfg.key) showError("This assistant is missing its site key (data-site-key).");
      return;
    }
    setState("connecting");
    ws = new WebSocket(BASE.replace(/^http/, "ws") + "/voice-ws");
    wait(CONNECT_MS, function () {
      var gone = ws; ws = null; ready = false; outbox = []; turnOpen = false;
      if (gone) { gone.onclose = null; gone.close(); }
      setState("error");
      showError("The assistant is not answering right now. Please try again in a moment.");
    });
    ws.binaryType = "arraybuffer";
    ws.onopen = function () {
      ws.send(JSON.stringify({
        type: "session.start", site_key: cfg.key, page_url: location.href.slice(0, 2000),
        locale: cfg.locale, resume_id: store.resume || undefined,
        input_format: { encoding: "pcm16", sample_rate: 16000, channels: 1, frame_ms: 20 },
        output_format: { encoding: "pcm16", sample_rate: player.rate, channels: 1, frame_ms: 40 }
      }));
    };
    ws.onmessage = function (e) {
      if (typeof e.data !== "string") {
        if (waitTimer && turnOpen) expectAnswer(); // answer audio arriving is progress too
        player.push(e.data); return;
      }
      var m; try { m = JSON.parse(e.data); } catch (x) { return; }
      onEvent(m);
    };
    ws.onclose = function (e) { ws = null; ready = false; onClosed(e.code, e.reason || ""); };
  }
  var CLOSE_TEXT = {
    4001: "This assistant is not set up correctly (unknown site key).",
    4003: "The assistant is not enabled on this website (" + location.origin + "). " +
          "The site owner can allow this address in SiteSpeak.",
    4400: "The assistant could not start a conversation (protocol error).",
    4415: "The assistant cannot use this audio format."
  };
  function onClosed(code, reason) {
    turnOpen = false; player.stop(); wait(0);
    if (CLOSE_TEXT[code]) {
      disable(CLOSE_TEXT[code]); emit("closed", { code: code, reason: reason });
      return;
    }
    if (code === 4408) { setState("idle"); return; } // idle: reconnect when the visitor acts
    if (retries < 6) {
      retries++;
      setTimeout(connect, Math.min(500 * Math.pow(2, retries - 1), 8000));
    } else {
      retries = 0; outbox = []; // the next question starts over
      setState("error"); showError("The assistant is unreachable right now. Please try again later.");
    }
  }
  function onEvent(m) {
    emit("message", m);
    if (waitTimer && ready && (turnOpen || stats.state === "thinking")) expectAnswer();
    switch (m.type) {
      case "session.ready":
        ready = true; retries = 0; showError("");
        stats.resumed = m.resumed; stats.turns = m.turns; siteAck = m.ack_sound !== false;
        stats.session = m.session_id;
        store.resume = m.resume_id; save();
        if (m.greeting && !d.greeting) greet(m.greeting);
        emit("ready", m);
        wait(0);
        outbox.splice(0).forEach(send);
        if (turnOpen) expectAnswer();
        settle();
        if (store.pending) { var a = store.pending; delete store.pending; save(); handleAction(a); }
        break;
      case "speech.started":
        if (player.playing()) { player.stop(); player.muted = true; }
        setState("listening");
        live = live || render({ who: "me", text: "…" }); live.classList.add("live");
        break;
      case "transcript.partial":
        if (live) live.textContent = m.text;
        emit("transcript", { text: m.text, final: false });
        break;
      case "speech.stopped": setState("thinking"); expectAnswer(); break;
      case "response.started":
        turnOpen = true; player.newTurn(); setState("thinking");
        if (cfg.voice && cfg.ack && siteAck) player.ack();
        if (live && m.transcript) live.textContent = m.transcript;
        current = { el: null, text: "" };
        break;
      case "transcript.final":
        if (live) { live.remove(); live = null; }
        if (m.text) addMessage("me", m.text);
        emit("transcript", { text: m.text, final: true });
        break;
      case "response.text.delta":
        if (!current) current = { el: null, text: "" };
        current.text += (current.text ? " " : "") + m.text;
        if (!current.el) current.el = render({ who: "bot", text: "" });
        current.el.textContent = current.text;
        break;
      case "response.action": handleAction(m.action); break;
      case "response.done": onDone(m); break;
      case "error":
        if (m.fatal) { disable(m.message); break; }
        showError(m.message); turnOpen = false; wait(0); settle(); break;
      case "session.closing": break; // the close follows; we reconnect with the resume id
    }
  }
  function onDone(m) {
    turnOpen = false; stats.turns = m.turn; wait(0);
    if (current && current.el) current.el.remove();
    current = null;
    if (m.text) addMessage("bot", m.text, m.citations);
    emit("answer", m);
    if (!leaving) showCited(m.citations || []);
    // A turn that works on a form or a button warms nothing up: only reading is harmless.
    if (!formTurn) (m.citations || []).slice(0, 3).forEach(function (c) { prefetch(c.url, c.anchor); });
    formTurn = false;
    if (player.held.length) player.flush();
    settle(); maybeLeave();
  }

  // --- page actions (every one comes from the site's catalog, vetted by the server) -------------
  var leaving = null, formTurn = false;
  function result(a, ok, detail) {
    stats.actions.push({ id: a.action_id, kind: a.kind, ok: ok, detail: detail });
    send({ type: "action.result", action_id: a.action_id, ok: ok, detail: String(detail).slice(0, 900) });
    emit("action.result", { action: a, ok: ok, detail: detail });
  }
  function sameOrigin(url) {
    try { var u = new URL(url, location.href); return u.origin === location.origin ? u : null; }
    catch (e) { return null; }
  }
  function samePage(u) { return u.pathname.replace(/\/$/, "") === location.pathname.replace(/\/$/, "") && u.search === location.search; }
  function maybeLeave() {
    if (leaving && !turnOpen && !player.playing()) { var to = leaving; leaving = null; save(); location.assign(to); }
  }
  function handleAction(a) {
    emit("action", a);
    if (a.kind === "navigate" || a.kind === "scroll-to-section" || a.kind === "highlight") prefetch(a.url, a.anchor);
    else if (turnOpen) formTurn = true;
    var u = sameOrigin(a.url);
    if (!u) { result(a, false, "refused: " + a.url + " is not on this site's origin"); return; }
    if (a.anchor) u.hash = a.anchor;
    if (!samePage(u)) {
      // Go there first; a form or button is worked on once the widget is back on that page.
      if (a.kind !== "navigate" && a.kind !== "scroll-to-section" && a.kind !== "highlight") store.pending = a;
      else if (a.anchor) store.arrive = { path: u.pathname, anchor: a.anchor };
      result(a, true, "navigating to " + u.href);
      leaving = u.href; save();
      setTimeout(function () { if (leaving) { turnOpen = false; player.stop(); maybeLeave(); } }, 6000);
      maybeLeave();
      return;
    }
    if (a.kind === "navigate" || a.kind === "scroll-to-section" || a.kind === "highlight") {
      var el = (a.anchor && document.getElementById(a.anchor)) || findText(a.label);
      if (el) { highlight(el); result(a, true, "showing " + (a.anchor || a.label)); }
      else result(a, a.kind === "navigate", a.kind === "navigate" ? "already here" : "section not found");
      return;
    }
    var target = findTarget(a);
    if (!target) { result(a, false, "not found on this page: " + a.target); return; }
    if (a.kind === "fill") confirmFill(a, target);
    else if (a.kind === "submit") confirmBox("Send the " + a.label.split(":")[0] + " form now?", "Send", [], function (yes) {
      if (!yes) return result(a, false, "the visitor did not send it");
      if (target.reportValidity && !target.reportValidity()) return result(a, false, "the form has invalid fields");
      result(a, true, "sent");
      target.requestSubmit ? target.requestSubmit() : target.submit();
    });
    else if (a.kind === "click") {
      var run = function () { highlight(target); target.click(); result(a, true, "clicked " + a.label); };
      if (a.confirm) confirmBox(a.label + "?", "Yes, do it", [], function (yes) { yes ? run() : result(a, false, "the visitor declined"); });
      else run();
    }
  }
  function findTarget(a) {
    var t = a.target || "";
    if (/^form:\d+$/.test(t)) return document.forms[Number(t.slice(5))] || null;
    try {
      var el = document.querySelector(t);
      if (el && (a.kind === "fill" || a.kind === "submit") && el.tagName !== "FORM") return null;
      return el;
    } catch (e) { return null; }
  }
  function findText(text) {
    if (!text) return null;
    var want = text.trim().toLowerCase(), nodes = document.querySelectorAll("h1,h2,h3,h4,h5,h6,p,li,dt,dd");
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].textContent.toLowerCase().indexOf(want) >= 0) return nodes[i];
    }
    return null;
  }
  // --- the cited passage: shown where it is, on this page or on arrival after a navigation ------
  function sectionOf(anchor) {
    var el = null;
    try { el = document.getElementById(decodeURIComponent(anchor)); } catch (e) { el = null; }
    if (!el) return [];
    var out = [el], m = /^H([1-6])$/.exec(el.tagName);
    if (!m) return out;
    // A heading's section: what follows it up to the next heading of its level or higher.
    for (var n = el.nextElementSibling; n && out.length < 12; n = n.nextElementSibling) {
      var h = /^H([1-6])$/.exec(n.tagName);
      if (h && Number(h[1]) <= Number(m[1])) break;
      if (n.tagName === "SITESPEAK-WIDGET") continue;
      out.push(n);
    }
    return out;
  }
  function showSection(anchor) {
    var els = sectionOf(anchor);
    if (!els.length) return false;
    els[0].scrollIntoView({ behavior: "smooth", block: "center" });
    els.forEach(function (el) { mark(el); });
    stats.highlighted.push(anchor);
    return true;
  }
  function showCited(citations) {
    for (var i = 0; i < citations.length; i++) {
      var c = citations[i], u = c.anchor && sameOrigin(c.url);
      if (u && samePage(u) && showSection(c.anchor)) return;
    }
  }
  function arrived() {
    var a = store.arrive;
    if (!a) return;
    delete store.arrive; save();
    if (a.path.replace(/\/$/, "") === location.pathname.replace(/\/$/, "")) {
      setTimeout(function () { showSection(a.anchor); }, 50); // after the browser's own jump
    }
  }
  var prefetched = {};
  function prefetch(url, anchor) { // so that "take me there" (or the link) opens at once
    var u = sameOrigin(url);
    if (!u || samePage(u) || RISKY_PATH.test(u.pathname + u.search)) return;
    // Chromium serves a prefetch only to a navigation to the very same URL, fragment included.
    u.hash = anchor || "";
    if (prefetched[u.href]) return;
    prefetched[u.href] = true;
    try {
      var el;
      if (window.HTMLScriptElement && HTMLScriptElement.supports && HTMLScriptElement.supports("speculationrules")) {
        el = document.createElement("script"); el.type = "speculationrules";
        el.textContent = JSON.stringify({ prefetch: [{ source: "list", urls: [u.href] }] });
      } else {
        el = document.createElement("link"); el.rel = "prefetch"; el.href = u.href;
      }
      el.setAttribute("data-sitespeak", "prefetch");
      document.head.appendChild(el);
      stats.prefetched.push(u.href);
    } catch (e) { /* a hint only */ }
  }
  function mark(el) {
    var s = el.style, before = [s.outline, s.outlineOffset, s.borderRadius, s.backgroundColor];
    s.outline = "3px solid #f5a524"; s.outlineOffset = "4px"; s.borderRadius = s.borderRadius || "4px";
    s.backgroundColor = "rgba(245,165,36,.16)";
    setTimeout(function () {
      s.outline = before[0]; s.outlineOffset = before[1]; s.borderRadius = before[2]; s.backgroundColor = before[3];
    }, 5000);
  }
  function highlight(el) {
    el.scrollIntoView({ behavior: "smooth", block: "center" });
    var s = el.style, before = [s.outline, s.outlineOffset, s.borderRadius];
    s.outline = "3px solid #f5a524"; s.outlineOffset = "4px"; s.borderRadius = s.borderRadius || "4px";
    setTimeout(function () { s.outline = before[0]; s.outlineOffset = before[1]; s.borderRadius = before[2]; }, 4000);
  }
  function fieldOf(form, name) { var f = form.elements.namedItem(name); return f && f.length && !f.tagName ? f[0] : f; }
  function confirmFill(a, form) {
    var names = Object.keys(a.values || {}).filter(function (n) { return fieldOf(form, n); });
    if (!names.length) { highlight(form); result(a, false, "no values to fill; showing the form"); return; }
    var labels = {}; (a.fields || []).forEach(function (f) { labels[f.name] = f.label || f.name; });
    var lines = names.map(function (n) { return (labels[n] || n) + ": " + a.values[n]; });
    highlight(form);
    confirmBox("Fill in the " + a.label + " form?", "Fill in", lines, function (yes) {
      if (!yes) return result(a, false, "the visitor declined");
      names.forEach(function (n) { setValue(fieldOf(form, n), a.values[n]); });
      result(a, true, "filled " + names.join(", ") + " (not sent)");
    });
  }
  function setValue(el, value) {
    if (el.tagName === "SELECT") {
      var want = value.toLowerCase();
      for (var i = 0; i < el.options.length; i++) {
        var o = el.options[i];
        if (o.value.toLowerCase() === want || o.text.toLowerCase().indexOf(want) >= 0) { el.selectedIndex = i; break; }
      }
    } else if (el.type === "checkbox" || el.type === "radio") {
      el.checked = /^(yes|true|on|1)$/i.test(value);
    } else {
      el.value = value;
    }
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }
  function confirmBox(question, yesLabel, lines, done) {
    var box = ui.ok, list = box.querySelector("ul"), yes = box.querySelector(".pri"), no = box.querySelector(".sec");
    box.querySelector("p").textContent = question;
    list.textContent = "";
    lines.forEach(function (l) { var li = document.createElement("li"); li.textContent = l; list.appendChild(li); });
    list.hidden = !lines.length;
    yes.textContent = yesLabel;
    box.hidden = false; openPanel(false); yes.focus();
    function finish(answer) { box.hidden = true; yes.onclick = no.onclick = null; box.onkeydown = null; done(answer); }
    yes.onclick = function () { finish(true); };
    no.onclick = function () { finish(false); };
    box.onkeydown = function (e) { if (e.key === "Escape") { e.stopPropagation(); finish(false); } };
  }

  // --- visitor analytics: small batches to /widget-events (sendBeacon when the page goes) -------
  // Each event has its own random id, kept when a failed batch is sent again: the server counts
  // an id once. Nothing here may break the widget: every failure is swallowed.
  var beacons = { queue: [], timer: 0, url: BASE + "/widget-events" };
  function rid() {
    var b = new Uint8Array(12); crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }
  if (!store.aid) { store.aid = rid(); save(); }
  function track(type, data) {
    if (!cfg.key) return;
    var e = { id: rid(), session: store.aid, type: type, page: location.pathname.slice(0, 500) };
    for (var k in data) e[k] = data[k];
    beacons.queue.push(e);
    if (beacons.queue.length >= 20) flushBeacons(false);
    else if (!beacons.timer) beacons.timer = setTimeout(function () { flushBeacons(false); }, 2000);
  }
  function flushBeacons(leaving) {
    clearTimeout(beacons.timer); beacons.timer = 0;
    var batch = beacons.queue.splice(0, 50);
    if (!batch.length) return;
    var body = JSON.stringify({ key: cfg.key, events: batch });
    try {
      if (leaving && navigator.sendBeacon &&
          navigator.sendBeacon(beacons.url, new Blob([body], { type: "text/plain" }))) return;
      fetch(beacons.url, { method: "POST", body: body, keepalive: true, mode: "cors",
                           headers: { "Content-Type": "text/plain" } })
        .then(function (r) { if (r.status >= 500 || r.status === 429) throw r; })
        .catch(function () { // offline or an outage: the same events (same ids) go again later
          beacons.queue = batch.concat(beacons.queue).slice(-200);
          if (!beacons.timer) beacons.timer = setTimeout(function () { flushBeacons(false); }, 10000);
        });
    } catch (e) { /* never let analytics break the widget */ }
    if (beacons.queue.length) flushBeacons(leaving);
  }
  addEventListener("pagehide", function () { flushBeacons(true); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flushBeacons(true);
  });
  function thumbs(el, turn) { // a thumbs up/down under each new answer, one vote per answer
    var box = document.createElement("div"); box.className = "fb";
    // Icons, not emoji (many systems lack an emoji font); an SVG adds nothing to the text.
    [["up", "Helpful"], ["down", "Not helpful"]].forEach(function (v) {
      var b = document.createElement("button"); b.type = "button";
      b.setAttribute("aria-label", v[1]); b.dataset.vote = v[0]; b.innerHTML = THUMB;
      b.addEventListener("click", function () {
        // The voice session's id ties the vote to its conversation in the owner's admin.
        var vote = { turn: turn, value: v[0] };
        if (stats.session) vote.voice_session = stats.session;
        track("feedback", vote);
        box.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
        b.setAttribute("aria-pressed", "true");
      });
      box.appendChild(b);
    });
    el.appendChild(box);
  }
  // A panel reopened after a navigation is the same conversation going on, not a new opening.
  listeners.open = [function (d) { if (!(d && d.restored)) track("panel.opened", {}); }];
  listeners.close = [function () { track("session.ended", {}); flushBeacons(false); }];
  listeners["playback.end"] = [function () { track("answer.played", { turn: stats.turns || 0 }); }];
  listeners["action.result"] = [function (r) {
    track(r.ok ? "action.performed" : "action.refused",
          { action: (r.action.kind + ":" + (r.action.label || r.action.url || "")).slice(0, 200) });
  }];
  listeners.transcript = [function (t) {
    if (t.final && t.text) track("question.asked", { mode: "spoken", text: t.text.slice(0, 1000) });
  }];
  listeners.answer = [function (m) {
    var last = ui.log.lastElementChild; // onDone has just added the answer
    if (last && last.classList.contains("bot") && m.text && typeof m.turn === "number") thumbs(last, m.turn);
  }];
  ui.log.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest(".cites a");
    if (!a) return;
    track("citation.clicked", { url: a.href.slice(0, 2000) });
    var u = sameOrigin(a.href), anchor = u && u.hash.slice(1);
    if (!u || !anchor) return;
    if (samePage(u)) { if (showSection(anchor)) e.preventDefault(); }
    else { store.arrive = { path: u.pathname, anchor: anchor }; save(); }
  });

  // --- opening, closing, asking ---------------------------------------------------------------
  function openPanel(focus, restored) {
    if (ui.panel.hidden) {
      ui.panel.hidden = false; ui.launch.setAttribute("aria-expanded", "true");
      ui.launch.setAttribute("aria-label", "Close the site assistant");
      if (!store.log.length) addMessage("bot", cfg.greeting);
      store.open = true; save(); emit("open", { restored: !!restored });
    }
    connect();
    if (focus !== false) ui.input.focus();
  }
  function closePanel() {
    if (ui.panel.hidden) return;
    ui.panel.hidden = true; ui.launch.setAttribute("aria-expanded", "false");
    ui.launch.setAttribute("aria-label", "Open the site assistant");
    if (mic.on) toggleMic();
    if (player.playing()) { // closing the assistant silences it
      player.stop(); player.muted = true;
      if (turnOpen) send({ type: "response.cancel" });
      settle();
    }
    store.open = false; save(); emit("close"); ui.launch.focus();
  }
  function askText(text) {
    text = String(text || "").trim().slice(0, 1000);
    if (!text) return;
    player.unlock(); openPanel(false);
    if (fatal) return; // disabled: the reason is on screen
    showError("");
    if (player.playing()) bargeIn();
    addMessage("me", text); track("question.asked", { mode: "typed", text: text });
    turnOpen = true; setState("thinking");
    send({ type: "input.text", text: text });
    if (ready) expectAnswer(); // else the connection's own timeout runs, then this one
  }
  ui.launch.addEventListener("click", function () { player.unlock(); ui.panel.hidden ? openPanel() : closePanel(); });
  // Any element of the page with data-sitespeak-ask="question" asks it when clicked
  // (suggested questions, "Ask about this" links) without a script of the page's own.
  document.addEventListener("click", function (e) {
    var el = e.target && e.target.closest && e.target.closest("[data-sitespeak-ask]");
    if (!el) return;
    e.preventDefault(); askText(el.getAttribute("data-sitespeak-ask"));
  });
  ui.close.addEventListener("click", closePanel);
  ui.mic.addEventListener("click", toggleMic);
  ui.form.addEventListener("submit", function (e) { e.preventDefault(); var t = ui.input.value; ui.input.value = ""; askText(t); });
  ui.panel.addEventListener("keydown", function (e) { if (e.key === "Escape") closePanel(); });

  window.SiteSpeak = {
    version: VERSION,
    open: function () { openPanel(); },
    close: closePanel,
    ask: askText,
    on: function (name, fn) {
      (listeners[name] = listeners[name] || []).push(fn);
      return function () { listeners[name] = (listeners[name] || []).filter(function (f) { return f !== fn; }); };
    },
    stats: function () { return JSON.parse(JSON.stringify(stats)); }
  };
  function mount() {
    document.body.appendChild(host);
    if (store.open || store.pending) openPanel(false, true); // a navigation keeps the conversation going
    arrived();
    document.dispatchEvent(new CustomEvent("sitespeak:ready"));
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
