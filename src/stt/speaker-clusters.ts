/**
 * Speaker vectors to speaker labels: the clustering every diarizer here shares (batch MFCC
 * statistics, neural segment embeddings, live turns). Vectors are standardised per recording,
 * clustered bottom-up (average linkage, cosine distance), and the number of speakers is the
 * smallest cut of the tree whose silhouette is close to the best, or one speaker when no cut
 * separates the segments well. Split from diarize.ts so that the vectors can come from elsewhere.
 */

/** One segment's speaker vector and the speech frames behind it; null when too few were speech. */
export type SpeakerVector = { vector: Float64Array; speechFrames: number } | null;

/**
 * Segments with at least this much speech (1 s) shape the clusters; shorter ones (a "yes", a name)
 * are too noisy to, and join the nearest cluster afterwards.
 */
const MIN_FRAMES_TO_CLUSTER = 100;
/**
 * The silhouette (-1..1) a split into speakers must reach; below it, everything is one speaker.
 * Measured with this module's features on 6 sentences from synthetic voices: 0.51-0.76 for every
 * pair of voices tried, 0.09-0.25 for splits of a single voice.
 */
const MIN_SILHOUETTE = 0.38;
/**
 * An extra speaker must raise the silhouette by more than this, or the fewer speakers win: one
 * voice's segments also cluster by what is said. Measured: 30 min of two voices (451 turns cut
 * from six sentences) scored 0.71 as 2 speakers and 0.74 as 8 content clusters; three voices
 * scored 0.65-0.70 as 3 against 0.48-0.49 as 2.
 */
const SILHOUETTE_TOLERANCE = 0.05;

/** Segments' speaker vectors to labels (`SPEAKER_00` for the first one's speaker): the clustering `labels` runs. */
export function speakerLabels(segments: ReadonlyArray<SpeakerVector>, maxSpeakers: number): string[] {
  const clustered = segments.flatMap((s, i) => (s !== null && s.speechFrames >= MIN_FRAMES_TO_CLUSTER ? [i] : []));
  const cluster = new Int32Array(segments.length).fill(-1);
  if (clustered.length > 0) {
    const normalize = standardizer(clustered.map((i) => segments[i]!.vector));
    const points = clustered.map((i) => normalize(segments[i]!.vector));
    const assignment = chooseClusters(points, maxSpeakers);
    clustered.forEach((segment, p) => (cluster[segment] = assignment[p]!));
    // Short segments join the cluster they are closest to on average.
    const k = Math.max(...assignment) + 1;
    segments.forEach((s, i) => {
      if (s === null || cluster[i] !== -1) return;
      const x = normalize(s.vector);
      const total = new Float64Array(k);
      const count = new Float64Array(k);
      points.forEach((p, j) => {
        total[assignment[j]!] += cosineDistance(x, p);
        count[assignment[j]!]++;
      });
      let best = 0;
      for (let c = 1; c < k; c++) if (total[c]! / count[c]! < total[best]! / count[best]!) best = c;
      cluster[i] = best;
    });
  }
  // Segments with too little speech to compare: the previous segment's speaker (the next one's for leading ones).
  let previous = cluster.find((c) => c !== -1) ?? 0;
  for (let i = 0; i < cluster.length; i++) {
    if (cluster[i] === -1) cluster[i] = previous;
    previous = cluster[i]!;
  }
  const names = new Map<number, string>();
  return Array.from(cluster, (c) => {
    let name = names.get(c);
    if (name === undefined) names.set(c, (name = speakerLabel(names.size)));
    return name;
  });
}

/** The contract's speaker label: `SPEAKER_` and the speaker's number, at least two digits. */
export function speakerLabel(index: number): string {
  return `SPEAKER_${String(index).padStart(2, '0')}`;
}

/**
 * Scales every dimension to zero mean and unit variance across the segments, so that each
 * coefficient weighs by how much it varies in this recording, not by its raw magnitude.
 */
function standardizer(vectors: readonly Float64Array[]): (v: Float64Array) => Float64Array {
  const dims = vectors[0]!.length;
  const mean = new Float64Array(dims);
  const std = new Float64Array(dims);
  for (const v of vectors) for (let d = 0; d < dims; d++) mean[d] += v[d]! / vectors.length;
  for (const v of vectors) for (let d = 0; d < dims; d++) std[d] += (v[d]! - mean[d]!) ** 2 / vectors.length;
  for (let d = 0; d < dims; d++) std[d] = Math.sqrt(std[d]!) || 1;
  return (v) => v.map((x, d) => (x - mean[d]!) / std[d]!);
}

function cosineDistance(a: Float64Array, b: Float64Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let d = 0; d < a.length; d++) {
    ab += a[d]! * b[d]!;
    aa += a[d]! * a[d]!;
    bb += b[d]! * b[d]!;
  }
  return aa === 0 || bb === 0 ? 1 : 1 - ab / Math.sqrt(aa * bb);
}

/**
 * Average-linkage agglomerative clustering of `points`, cut at the fewest clusters (2 up to
 * `maxSpeakers`) whose silhouette is within SILHOUETTE_TOLERANCE of the best, or one cluster if
 * none reaches MIN_SILHOUETTE. Returns a cluster index per point.
 */
function chooseClusters(points: readonly Float64Array[], maxSpeakers: number): Int32Array {
  const n = points.length;
  const single = new Int32Array(n);
  // A silhouette needs a cluster with two members on each side at least.
  if (n < 3 || maxSpeakers < 2) return single;
  const distance = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) distance[i * n + j] = distance[j * n + i] = cosineDistance(points[i]!, points[j]!);
  }
  // Cuts come from the most clusters to the fewest (2); the scan keeps the fewest that score well.
  const scored = averageLinkageCuts(distance, n, Math.min(maxSpeakers, n - 1)).map((labels) => ({ labels, score: silhouette(distance, n, labels) }));
  const best = Math.max(...scored.map((c) => c.score));
  if (best < MIN_SILHOUETTE) return single;
  return scored.filter((c) => c.score >= best - SILHOUETTE_TOLERANCE).at(-1)!.labels;
}

/**
 * Merges clusters bottom-up (Lance-Williams update for average linkage) and returns the
 * partitions into 2..maxClusters clusters, labels 0..k-1.
 */
function averageLinkageCuts(pointDistance: Float64Array, n: number, maxClusters: number): Int32Array[] {
  const d = Float64Array.from(pointDistance);
  const size = new Float64Array(n).fill(1);
  const alive = new Uint8Array(n).fill(1);
  const owner = Int32Array.from({ length: n }, (_, i) => i);
  const cuts: Int32Array[] = [];
  for (let clusters = n; clusters > 2; ) {
    let bi = -1;
    let bj = -1;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (!alive[i]) continue;
      for (let j = i + 1; j < n; j++) {
        if (alive[j] && d[i * n + j]! < min) {
          min = d[i * n + j]!;
          bi = i;
          bj = j;
        }
      }
    }
    for (let k = 0; k < n; k++) {
      if (!alive[k] || k === bi || k === bj) continue;
      const merged = (size[bi]! * d[bi * n + k]! + size[bj]! * d[bj * n + k]!) / (size[bi]! + size[bj]!);
      d[bi * n + k] = d[k * n + bi] = merged;
    }
    size[bi] += size[bj]!;
    alive[bj] = 0;
    for (let p = 0; p < n; p++) if (owner[p] === bj) owner[p] = bi;
    clusters--;
    if (clusters <= maxClusters) cuts.push(relabel(owner));
  }
  return cuts;
}

/** Cluster ids renumbered 0..k-1. */
function relabel(owner: Int32Array): Int32Array {
  const ids = new Map<number, number>();
  return owner.map((o) => {
    let id = ids.get(o);
    if (id === undefined) ids.set(o, (id = ids.size));
    return id;
  });
}

/** Mean silhouette over all points; a point alone in its cluster scores 0 (Rousseeuw's convention). */
function silhouette(distance: Float64Array, n: number, labels: Int32Array): number {
  const k = Math.max(...labels) + 1;
  const counts = new Float64Array(k);
  for (const l of labels) counts[l]++;
  let total = 0;
  const sums = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const own = labels[i]!;
    if (counts[own] === 1) continue;
    sums.fill(0);
    for (let j = 0; j < n; j++) if (j !== i) sums[labels[j]!] += distance[i * n + j]!;
    const a = sums[own]! / (counts[own]! - 1);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) if (c !== own) b = Math.min(b, sums[c]! / counts[c]!);
    if (Math.max(a, b) > 0) total += (b - a) / Math.max(a, b);
  }
  return total / n;
}
