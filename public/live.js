/**
 * The Live tab: a voice session over `/v1/realtime` (OpenAI's Realtime protocol, GA dialect).
 * Mic PCM16 24 kHz goes up as `input_audio_buffer.append`; the server's VAD finds the turns;
 * reply audio (`response.output_audio.delta`) plays as it arrives. Barge-in: when the server
 * hears new speech (`input_audio_buffer.speech_started`) the page stops the reply at once and
 * sends `conversation.item.truncate` with how much was really heard, as the protocol expects
 * of a client that plays audio itself.
 */
import { base64FromPcm, openSocket, pcmFromBase64 } from './api.js';
import { Mic } from './mic.js';
import { audioContext, PcmPlayer } from './pcm-player.js';
import { $, say } from './ui.js';

/** Wires the tab; `status` is window.llaisPlayground.live. */
export function setupLive(status) {
  const line = $('live-status');
  const log = $('live-log');
  const startBtn = $('live-start');
  const endBtn = $('live-stop');
  let ws;
  let mic;
  let player;
  /** The assistant item whose audio is playing, and the samples played before it began. */
  let reply = null;
  let playedBefore = 0;

  function entry(role, text) {
    const li = Object.assign(document.createElement('li'), { className: role, textContent: text });
    log.append(li);
    return li;
  }

  const send = (event) => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify(event));

  function bargeIn() {
    if (!reply || !player.playing) return;
    const heardMs = player.playedMs;
    player.stop();
    send({ type: 'conversation.item.truncate', item_id: reply.itemId, content_index: 0, audio_end_ms: heardMs });
    status.bargeIns++;
    reply.li.textContent += ' …';
  }

  /** The reply being heard; a new item (its text comes a moment before its audio) starts a new one. */
  function replyFor(itemId) {
    if (reply?.itemId !== itemId) {
      playedBefore += player.samplesPlayed;
      player.reset();
      reply = { itemId, li: entry('assistant', '') };
    }
    return reply;
  }

  function onEvent(event) {
    switch (event.type) {
      case 'session.created':
        status.connected = true;
        say(line, 'Listening — say something');
        break;
      case 'input_audio_buffer.speech_started':
        bargeIn();
        say(line, 'Hearing you…');
        break;
      case 'input_audio_buffer.speech_stopped':
        say(line, 'Thinking…');
        break;
      case 'conversation.item.input_audio_transcription.completed':
        status.userTranscripts.push(event.transcript);
        entry('user', event.transcript);
        break;
      case 'response.output_audio.delta':
        replyFor(event.item_id);
        player.push(pcmFromBase64(event.delta));
        say(line, 'Speaking');
        break;
      case 'response.output_audio_transcript.delta':
        replyFor(event.item_id).li.textContent += event.delta;
        break;
      case 'conversation.item.truncated':
        status.truncations.push({ itemId: event.item_id, audioEndMs: event.audio_end_ms });
        break;
      case 'response.output_audio_transcript.done':
        status.replyTranscripts.push(event.transcript);
        break;
      case 'error':
        status.error = event.error.message;
        say(line, event.error.message, true);
        break;
    }
  }

  function end(message) {
    mic?.stop();
    player?.stop();
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000);
    ws = undefined;
    status.connected = false;
    startBtn.disabled = false;
    endBtn.disabled = true;
    if (message) say(line, message);
  }

  startBtn.addEventListener('click', async () => {
    startBtn.disabled = true;
    endBtn.disabled = false;
    status.error = null;
    const ctx = await audioContext();
    player ??= new PcmPlayer(ctx);
    player.onPlayed = (n) => (status.samplesPlayed = playedBefore + n);
    ws = openSocket('/v1/realtime?model=gpt-realtime');
    ws.onmessage = (m) => onEvent(JSON.parse(m.data));
    ws.onclose = (e) => ws && end(e.code === 1000 ? 'Session ended' : `Session closed: ${e.reason || e.code}`);
    ws.onerror = () => say(line, 'Could not connect to /v1/realtime', true);
    ws.onopen = async () => {
      // Transcripts of what the user said are off unless asked for, as in OpenAI's API.
      send({ type: 'session.update', session: { type: 'realtime', audio: { input: { transcription: { model: 'whisper-1' } } } } });
      try {
        mic = new Mic(ctx, (frame) => send({ type: 'input_audio_buffer.append', audio: base64FromPcm(frame) }));
        // Echo cancellation keeps the reply coming out of the speakers from barging in on itself.
        await mic.start(true);
      } catch (e) {
        end();
        say(line, `No microphone: ${e.message}`, true);
      }
    };
  });

  endBtn.addEventListener('click', () => end('Session ended'));
}
