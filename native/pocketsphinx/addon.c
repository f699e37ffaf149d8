/*
 * A thin Node-API wrapper around one PocketSphinx decoder.
 *
 * Everything here is synchronous and CPU-bound: it is meant to be called from a worker
 * thread, never from the main thread. Policy (which options, where utterances end, which
 * words to keep, frames to seconds) lives in TypeScript: src/engines/stt/pocketsphinx/.
 *
 *   new Decoder(argv: string[])        argv is PocketSphinx's options, e.g. ['-hmm', dir, ...]
 *   decoder.start(): void              begins an utterance; frame numbers restart at 0
 *   decoder.process(pcm: Int16Array, fullUtterance: boolean): number   frames searched
 *   decoder.end(): { text, segments: [{ word, startFrame, endFrame, prob }] }
 *   decoder.hyp(): { text, segments }  the running hypothesis mid-utterance (ps_get_hyp), for
 *                                      live partial results; the utterance goes on
 *   decoder.free(): void               releases the models now (the GC would, later)
 *
 * Segments are the decoder's raw best path, fillers and `word(2)` variants included.
 */
#include <stdlib.h>
#include <string.h>

#include <node_api.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
/* Internal headers, for the n-gram search's pass switches and the CMN mode (see decoder_set_live). */
#include "pocketsphinx_internal.h"
#include "ngram_search.h"

typedef struct {
    ps_decoder_t *ps;
    int in_utterance;
    /* The n-gram search's configured second passes, and the configured CMN mode: restored when
     * live mode ends. */
    uint8 fwdflat;
    uint8 bestpath;
    cmn_type_t cmn;
} decoder_t;

/* The active search if it is the n-gram one, else NULL. */
static ngram_search_t *ngram_of(decoder_t *d)
{
    ps_search_t *search = d->ps ? d->ps->search : NULL;
    if (search == NULL || strcmp(ps_search_type(search), PS_SEARCH_TYPE_NGRAM) != 0)
        return NULL;
    return (ngram_search_t *)search;
}

#define CHECK(env, call)                                                     \
    do {                                                                     \
        if ((call) != napi_ok) {                                             \
            napi_throw_error((env), NULL, "pocketsphinx addon: " #call);     \
            return NULL;                                                     \
        }                                                                    \
    } while (0)

static void decoder_release(decoder_t *d)
{
    if (d->ps) {
        ps_free(d->ps);
        d->ps = NULL;
    }
    d->in_utterance = 0;
}

static void decoder_finalize(napi_env env, void *data, void *hint)
{
    (void)env;
    (void)hint;
    decoder_release((decoder_t *)data);
    free(data);
}

/* The wrapped decoder of `this`, or NULL with a JS error pending. */
static decoder_t *unwrap_live(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv)
{
    napi_value self;
    decoder_t *d = NULL;
    if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok ||
        napi_unwrap(env, self, (void **)&d) != napi_ok || d == NULL) {
        napi_throw_type_error(env, NULL, "not a pocketsphinx Decoder");
        return NULL;
    }
    if (d->ps == NULL) {
        napi_throw_error(env, "ERR_DECODER_FREED", "pocketsphinx decoder was freed");
        return NULL;
    }
    return d;
}

/* A copy of the JS string `value` (malloc'd), or NULL with a JS error pending. */
static char *copy_string(napi_env env, napi_value value)
{
    size_t len;
    char *s;
    if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
        napi_throw_type_error(env, NULL, "decoder options must be strings");
        return NULL;
    }
    s = malloc(len + 1);
    if (s == NULL) {
        napi_throw_error(env, NULL, "out of memory");
        return NULL;
    }
    napi_get_value_string_utf8(env, value, s, len + 1, &len);
    return s;
}

static napi_value decoder_new(napi_env env, napi_callback_info info)
{
    size_t argc = 1, n = 0, i;
    napi_value argv[1], self;
    bool is_array;
    uint32_t length;
    char **options = NULL;
    cmd_ln_t *config = NULL;
    decoder_t *d;

    CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
    if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
        napi_throw_type_error(env, NULL, "new Decoder(argv: string[])");
        return NULL;
    }
    CHECK(env, napi_get_array_length(env, argv[0], &length));
    options = calloc(length + 1, sizeof(char *));
    if (options == NULL) {
        napi_throw_error(env, NULL, "out of memory");
        return NULL;
    }
    for (n = 0; n < length; n++) {
        napi_value item;
        if (napi_get_element(env, argv[0], (uint32_t)n, &item) != napi_ok ||
            (options[n] = copy_string(env, item)) == NULL)
            goto done;
    }
    /* Strict: an unknown or repeated option is an error, not silently ignored. */
    config = cmd_ln_parse_r(NULL, ps_args(), (int32)n, options, TRUE);
    if (config == NULL) {
        napi_throw_error(env, "ERR_DECODER_OPTIONS", "pocketsphinx rejected the decoder options");
        goto done;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        napi_throw_error(env, NULL, "out of memory");
        goto done;
    }
    d->ps = ps_init(config);
    if (d->ps == NULL) {
        free(d);
        napi_throw_error(env, "ERR_DECODER_INIT", "pocketsphinx could not load its models");
        goto done;
    }
    if (ngram_of(d)) {
        d->fwdflat = ngram_of(d)->fwdflat;
        d->bestpath = ngram_of(d)->bestpath;
    }
    d->cmn = d->ps->acmod->fcb->cmn;
    if (napi_wrap(env, self, d, decoder_finalize, NULL, NULL) != napi_ok) {
        decoder_finalize(env, d, NULL);
        napi_throw_error(env, NULL, "pocketsphinx addon: napi_wrap");
    }

done:
    /* ps_init took its own reference to the configuration; values were copied on parsing. */
    if (config)
        cmd_ln_free_r(config);
    for (i = 0; i < n; i++)
        free(options[i]);
    free(options);
    return self;
}

static napi_value decoder_start(napi_env env, napi_callback_info info)
{
    size_t argc = 0;
    decoder_t *d = unwrap_live(env, info, &argc, NULL);
    if (d == NULL)
        return NULL;
    if (d->in_utterance)
        ps_end_utt(d->ps);
    /* A new stream puts the frame counter back to 0, so frames count from this start. */
    if (ps_start_stream(d->ps) < 0 || ps_start_utt(d->ps) < 0) {
        napi_throw_error(env, NULL, "pocketsphinx could not start an utterance");
        return NULL;
    }
    d->in_utterance = 1;
    return NULL;
}

/*
 * setLive(live: boolean), between utterances only.
 * Live on: utterances end after the first (tree) pass, skipping the flat-lexicon rescoring and
 * the lattice best path that run over the whole utterance at its end, so a turn decoded while it
 * is spoken has only a few frames left when it ends.
 * Live off: the configured passes, and the configured (batch) CMN again. sphinxbase switches a
 * decoder's CMN to live for good the first time audio is fed in pieces (feat_cmn), which would
 * otherwise change every later whole-utterance result on this decoder.
 */
static napi_value decoder_set_live(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    bool live = false;
    ngram_search_t *ngs;
    decoder_t *d = unwrap_live(env, info, &argc, argv);
    if (d == NULL)
        return NULL;
    if (argc < 1 || napi_get_value_bool(env, argv[0], &live) != napi_ok) {
        napi_throw_type_error(env, NULL, "setLive(live: boolean)");
        return NULL;
    }
    if (d->in_utterance) {
        napi_throw_error(env, "ERR_DECODER_STATE", "setLive() inside an utterance");
        return NULL;
    }
    ngs = ngram_of(d);
    if (ngs) {
        ngs->fwdflat = live ? FALSE : d->fwdflat;
        ngs->bestpath = live ? FALSE : d->bestpath;
    }
    if (!live)
        d->ps->acmod->fcb->cmn = d->cmn;
    return NULL;
}

static napi_value decoder_process(napi_env env, napi_callback_info info)
{
    size_t argc = 2, length, byte_offset;
    napi_value argv[2], arraybuffer, result;
    napi_typedarray_type type;
    void *data;
    bool full_utterance = false;
    int frames;
    decoder_t *d = unwrap_live(env, info, &argc, argv);
    if (d == NULL)
        return NULL;
    if (!d->in_utterance) {
        napi_throw_error(env, "ERR_DECODER_STATE", "process() before start()");
        return NULL;
    }
    if (argc < 1 || napi_get_typedarray_info(env, argv[0], &type, &length, &data, &arraybuffer,
                                             &byte_offset) != napi_ok || type != napi_int16_array) {
        napi_throw_type_error(env, NULL, "process(pcm: Int16Array, fullUtterance: boolean)");
        return NULL;
    }
    if (argc > 1)
        CHECK(env, napi_get_value_bool(env, argv[1], &full_utterance));
    frames = length == 0 ? 0 : ps_process_raw(d->ps, (const int16 *)data, length, FALSE, full_utterance);
    if (frames < 0) {
        napi_throw_error(env, NULL, "pocketsphinx failed to process audio");
        return NULL;
    }
    CHECK(env, napi_create_int32(env, frames, &result));
    return result;
}

static napi_status set_string(napi_env env, napi_value obj, const char *key, const char *value)
{
    napi_value v;
    napi_status s = napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
    return s != napi_ok ? s : napi_set_named_property(env, obj, key, v);
}

static napi_status set_number(napi_env env, napi_value obj, const char *key, double value)
{
    napi_value v;
    napi_status s = napi_create_double(env, value, &v);
    return s != napi_ok ? s : napi_set_named_property(env, obj, key, v);
}

/* The decoder's current best hypothesis and its segments as { text, segments }. Mid-utterance
 * this is the first pass's best path so far (a back-trace, cheap); after ps_end_utt it is the
 * final one. Segment posteriors are 1 unless a lattice was computed. */
static napi_value hypothesis_of(napi_env env, decoder_t *d)
{
    napi_value result, segments;
    const char *hyp;
    int32 score;
    uint32_t count = 0;
    ps_seg_t *seg;
    logmath_t *lmath;

    hyp = ps_get_hyp(d->ps, &score);
    lmath = ps_get_logmath(d->ps);

    CHECK(env, napi_create_object(env, &result));
    CHECK(env, set_string(env, result, "text", hyp ? hyp : ""));
    CHECK(env, napi_create_array(env, &segments));
    for (seg = hyp ? ps_seg_iter(d->ps) : NULL; seg != NULL; seg = ps_seg_next(seg)) {
        napi_value item;
        int sf, ef;
        int32 ascr, lscr, lback;
        int32 post = ps_seg_prob(seg, &ascr, &lscr, &lback);
        ps_seg_frames(seg, &sf, &ef);
        if (napi_create_object(env, &item) != napi_ok ||
            set_string(env, item, "word", ps_seg_word(seg)) != napi_ok ||
            set_number(env, item, "startFrame", sf) != napi_ok ||
            set_number(env, item, "endFrame", ef) != napi_ok ||
            /* Posterior probability; 1 unless -bestpath computed a lattice. */
            set_number(env, item, "prob", logmath_exp(lmath, post)) != napi_ok ||
            napi_set_element(env, segments, count++, item) != napi_ok) {
            ps_seg_free(seg);
            napi_throw_error(env, NULL, "pocketsphinx addon: building segments");
            return NULL;
        }
    }
    CHECK(env, napi_set_named_property(env, result, "segments", segments));
    return result;
}

static napi_value decoder_end(napi_env env, napi_callback_info info)
{
    size_t argc = 0;
    decoder_t *d = unwrap_live(env, info, &argc, NULL);
    if (d == NULL)
        return NULL;
    if (!d->in_utterance) {
        napi_throw_error(env, "ERR_DECODER_STATE", "end() before start()");
        return NULL;
    }
    d->in_utterance = 0;
    if (ps_end_utt(d->ps) < 0) {
        napi_throw_error(env, NULL, "pocketsphinx failed to end the utterance");
        return NULL;
    }
    return hypothesis_of(env, d);
}

/*
 * hyp(): the running hypothesis of the open utterance, without ending it. Live captions read it
 * between slices; it costs a back-trace over the frames searched so far, not a second decode.
 */
static napi_value decoder_hyp(napi_env env, napi_callback_info info)
{
    size_t argc = 0;
    decoder_t *d = unwrap_live(env, info, &argc, NULL);
    if (d == NULL)
        return NULL;
    if (!d->in_utterance) {
        napi_throw_error(env, "ERR_DECODER_STATE", "hyp() outside an utterance");
        return NULL;
    }
    return hypothesis_of(env, d);
}

static napi_value decoder_free(napi_env env, napi_callback_info info)
{
    size_t argc = 0;
    napi_value self;
    decoder_t *d = NULL;
    CHECK(env, napi_get_cb_info(env, info, &argc, NULL, &self, NULL));
    /* Idempotent: a second free() is a no-op, the finalizer frees the struct itself. */
    if (napi_unwrap(env, self, (void **)&d) == napi_ok && d != NULL)
        decoder_release(d);
    return NULL;
}

NAPI_MODULE_INIT()
{
    napi_value cls;
    napi_property_descriptor methods[] = {
        {"start", NULL, decoder_start, NULL, NULL, NULL, napi_default_method, NULL},
        {"process", NULL, decoder_process, NULL, NULL, NULL, napi_default_method, NULL},
        {"end", NULL, decoder_end, NULL, NULL, NULL, napi_default_method, NULL},
        {"free", NULL, decoder_free, NULL, NULL, NULL, napi_default_method, NULL},
        {"setLive", NULL, decoder_set_live, NULL, NULL, NULL, napi_default_method, NULL},
        {"hyp", NULL, decoder_hyp, NULL, NULL, NULL, napi_default_method, NULL},
    };
    /* PocketSphinx logs every step to stderr by default; the server has its own log. This is
     * process-wide, so every worker thread that loads the addon sets the same value. */
    err_set_logfp(NULL);
    CHECK(env, napi_define_class(env, "Decoder", NAPI_AUTO_LENGTH, decoder_new, NULL,
                                 sizeof(methods) / sizeof(methods[0]), methods, &cls));
    CHECK(env, napi_set_named_property(env, exports, "Decoder", cls));
    return exports;
}
