/**
 * Speaker labels across one `/v1/stt/ws` session's utterances. Each utterance's speaker vector
 * comes from its decoding thread (the whole turn's MFCC statistics, stt/diarize.ts); here, at each
 * final, the session's recent vectors are clustered again with the batch diarizer's own rule
 * (`speakerLabels`: standardised, average linkage, silhouette) and each cluster takes the label
 * most of its earlier utterances were sent with; when two clusters want the same label the larger
 * claim keeps it and the other gets a new one. Labels once sent never change, so an early
 * utterance, heard before there was anything to tell voices apart by, may keep the first label.
 *
 * Bounded: the last MAX_RECENT utterances; clustering them is small arithmetic (~1 ms) per final.
 */
import { speakerLabel, speakerLabels, type SpeakerVector } from '../../stt/diarize.js';

const MAX_RECENT = 32;
/** As the batch diarizer's default. */
const MAX_SPEAKERS = 8;

export class SessionSpeakers {
  private readonly recent: Array<{ vector: SpeakerVector; label: string }> = [];
  private nextLabel = 0;

  /** The label of the utterance whose vector this is (the next final of the session). */
  label(vector: SpeakerVector): string {
    const clusters = speakerLabels([...this.recent.map((r) => r.vector), vector], MAX_SPEAKERS);
    // Votes: cluster -> label sent -> utterances.
    const votes = new Map<string, Map<string, number>>();
    this.recent.forEach((r, i) => {
      const byLabel = votes.get(clusters[i]!) ?? new Map<string, number>();
      byLabel.set(r.label, (byLabel.get(r.label) ?? 0) + 1);
      votes.set(clusters[i]!, byLabel);
    });
    const claims = [...votes.entries()].flatMap(([cluster, byLabel]) => [...byLabel.entries()].map(([label, n]) => ({ cluster, label, n })));
    claims.sort((a, b) => b.n - a.n);
    const taken = new Map<string, string>();
    const assigned = new Set<string>();
    for (const c of claims) {
      if (taken.has(c.cluster) || assigned.has(c.label)) continue;
      taken.set(c.cluster, c.label);
      assigned.add(c.label);
    }
    const label = taken.get(clusters.at(-1)!) ?? speakerLabel(this.nextLabel++);
    this.recent.push({ vector, label });
    if (this.recent.length > MAX_RECENT) this.recent.shift();
    return label;
  }
}
