/*
 * Cached stack shapes for libplumb: a stack seen before is replayed in a few dozen loads
 * instead of being unwound again by libunwind.
 *
 * Why: in sampled mode a sample comes every few hundred KiB allocated, long enough for
 * libunwind's per-thread cache (16 Ki entries of 16 bytes, one cache line per frame) to be
 * evicted by the program in between; the unwind then costs a cache miss per frame, and was
 * the largest part of a sample's cost (bench/README.md). A shape keeps a stack's frames and
 * their unwind rules next to each other: a replay reads a few consecutive lines and the stack.
 *
 * A shape is learned from libunwind, never instead of it: after libunwind found frames
 * f0..fn-1, each frame's rule is taken from the module's .eh_frame (the same DWARF CFI
 * libunwind reads), the shape is replayed from the same registers at once, and it is stored
 * only if the replay gives exactly libunwind's frames. Only rules of one shape are supported:
 * the CFA is rsp or rbp plus an offset, the return address is saved at CFA + offset, rbp is
 * unchanged or saved at CFA + offset (what compilers emit for ordinary functions); anything
 * else (DWARF expressions, signal frames, other CFA registers, no .eh_frame_hdr) keeps that
 * stack on libunwind. A complete stack is stored only if its last frame's return address is
 * undefined in the CFI (thread and process entry points): libunwind ends there for certain.
 *
 * Why a replay that matches is the real stack: frame i's rule is a function of its pc alone,
 * so applied to frame i's real rsp/rbp it yields frame i's real CFA, return address and saved
 * rbp, i.e. frame i+1's real registers; if the return address read equals the shape's pc i+1,
 * frame i+1's rule is again the one stored. By induction every frame is the real one. A read
 * outside the thread's stack, or a pc that differs, ends the replay: the caller asks libunwind.
 *
 * Concurrency: entries are written once, by a thread holding `learning` (a trylock: a thread
 * that finds it taken does not learn this time), and published by a release store of the key;
 * readers take no lock. Code unloaded with dlclose (uc_forget) retires every entry at once by
 * a generation number: an address could hold other code afterwards. Tables are mmap'd,
 * bounded, and never grow: when full, new stacks stay on libunwind.
 */
#define _GNU_SOURCE
#include "unwind_cache.h"

#include <elf.h>
#include <link.h>
#include <string.h>

#ifndef PT_GNU_EH_FRAME
#define PT_GNU_EH_FRAME 0x6474e550
#endif

#define UC_MAX_FRAMES 64  /* deeper shapes are not cached */
#define SHAPE_BITS 12     /* 4096 shapes of up to 1 KiB, 4 MiB virtual, touched as used */
#define RULE_BITS 16      /* 65536 rules of 16 bytes, 1 MiB virtual */
#define PROBES 8

/* How to get a caller's registers from its callee's (8 bytes). */
struct rule {
    int32_t cfa_off; /* CFA = (RULE_CFA_RBP ? rbp : rsp) + cfa_off */
    int16_t rbp_off; /* the caller's rbp is at CFA + rbp_off (RULE_RBP_SAVED), else unchanged */
    int8_t ra_off;   /* the return address is at CFA + ra_off */
    uint8_t flags;
};
#define RULE_KNOWN 1      /* looked up (the others say what was found) */
#define RULE_OK 2         /* a rule of the supported kind */
#define RULE_CFA_RBP 4
#define RULE_RBP_SAVED 8
#define RULE_OUTERMOST 16 /* the return address is undefined: the stack ends here */

struct cell {
    uint64_t pc; /* frame i's return address */
    struct rule rule; /* frame i -> frame i+1 */
};

struct shape {
    uint64_t key;   /* cells[0].pc once published, 0 while free */
    uint64_t depth; /* stack top - the first frame's sp: the same call site reached by other paths
                       (recursion, other callers) is mostly at other depths: other shapes */
    uint32_t gen;
    uint16_t n;
    uint16_t pad;
    uint32_t stack_id; /* the caller's id for these frames, stored once known (uc_replay) */
    uint32_t pad2;
    struct cell cells[UC_MAX_FRAMES];
};

struct rule_slot {
    uint64_t pc; /* the pc looked up (return address - 1), published last; 0 = free */
    uint32_t gen;
    struct rule rule;
};

static struct shape *shapes;
static struct rule_slot *rules;
static uint32_t generation = 1;
static int learning; /* trylock for writers */

int uc_init(void *(*map)(size_t)) {
    shapes = map(sizeof(struct shape) << SHAPE_BITS);
    rules = map(sizeof(struct rule_slot) << RULE_BITS);
    if (!shapes || !rules) shapes = NULL;
    return shapes != NULL;
}

void uc_forget(void) { __atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE); }

static uint32_t hash_pc(uint64_t pc, int bits) {
    return (uint32_t)((pc * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

static uint32_t hash_shape(const struct uc_regs *start, const struct uc_stack *stack) {
    return hash_pc(start->ip ^ ((stack->hi - start->sp) * 0xC2B2AE3D27D4EB4Full), SHAPE_BITS);
}

/* ------------------------------------------------------------------------ */
/* Replay                                                                    */
/* ------------------------------------------------------------------------ */

static int in_stack(const struct uc_stack *s, uintptr_t at, uintptr_t floor) {
    return (at & 7) == 0 && at >= floor && at >= s->lo && at <= s->hi - 8;
}

/* Frames per `cells`, from `start`: n if every return address read matches, else -1. */
static int walk(const struct cell *cells, int n, const struct uc_regs *start, const struct uc_stack *stack,
                void **out) {
    uintptr_t sp = start->sp, bp = start->bp, ip = start->ip;
    out[0] = (void *)ip;
    for (int i = 0; i + 1 < n; i++) {
        struct rule r = cells[i].rule;
        if (!(r.flags & RULE_OK) || (r.flags & RULE_OUTERMOST)) return -1;
        uintptr_t cfa = ((r.flags & RULE_CFA_RBP) ? bp : sp) + (uintptr_t)(intptr_t)r.cfa_off;
        if (cfa <= sp || cfa > stack->hi) return -1; /* frames only go up the stack */
        uintptr_t ra_at = cfa + (uintptr_t)(intptr_t)r.ra_off;
        if (!in_stack(stack, ra_at, sp)) return -1;
        uintptr_t ra = *(const uintptr_t *)ra_at;
        if (r.flags & RULE_RBP_SAVED) {
            uintptr_t bp_at = cfa + (uintptr_t)(intptr_t)r.rbp_off;
            if (!in_stack(stack, bp_at, sp)) return -1;
            bp = *(const uintptr_t *)bp_at;
        }
        sp = cfa;
        ip = ra;
        if (ip != cells[i + 1].pc) return -1;
        out[i + 1] = (void *)ip;
    }
    return n;
}

int uc_replay(const struct uc_regs *start, const struct uc_stack *stack, void **out, int max,
              uint32_t **stack_id) {
    if (!shapes || start->sp < stack->lo || start->sp >= stack->hi) return -1;
    uint32_t gen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
    uint64_t depth = stack->hi - start->sp;
    uint32_t h = hash_shape(start, stack);
    for (int probe = 0; probe < PROBES; probe++) {
        const struct shape *s = &shapes[(h + (uint32_t)probe) & ((1u << SHAPE_BITS) - 1)];
        uint64_t key = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);
        if (key == 0) return -1;
        if (key != start->ip || s->depth != depth || s->gen != gen || s->n > max) continue;
        int n = walk(s->cells, s->n, start, stack, out);
        if (n > 0) {
            *stack_id = (uint32_t *)&s->stack_id; /* the one field written after publishing */
            return n;
        }
    }
    return -1;
}

/* ------------------------------------------------------------------------ */
/* DWARF call frame information (.eh_frame), read with bounds                */
/* ------------------------------------------------------------------------ */

struct reader {
    const uint8_t *p, *end;
    int bad;
};

static uint64_t rd_bytes(struct reader *r, int n) {
    if (r->bad || r->end - r->p < n) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, r->p, (size_t)n); /* little-endian (x86-64) */
    r->p += n;
    return v;
}

static void rd_skip(struct reader *r, uint64_t n) {
    if (r->bad || n > (uint64_t)(r->end - r->p)) r->bad = 1;
    else r->p += n;
}

/* An LEB128 number; `is_signed` extends the sign of the last byte (computed unsigned: a
 * 64-bit shift of a signed value would be undefined). */
static uint64_t rd_leb(struct reader *r, int is_signed) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b = (uint8_t)rd_bytes(r, 1);
        if (r->bad) return 0;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (is_signed && shift + 7 < 64 && (b & 0x40)) v |= ~(uint64_t)0 << (shift + 7);
            return v;
        }
    }
    r->bad = 1;
    return 0;
}

static uint64_t rd_uleb(struct reader *r) { return rd_leb(r, 0); }
static int64_t rd_sleb(struct reader *r) { return (int64_t)rd_leb(r, 1); }

#define DW_EH_PE_omit 0xff
#define DW_EH_PE_pcrel 0x10
#define DW_EH_PE_datarel 0x30

/* A pointer in DWARF EH encoding `enc`; `data` is the base of datarel. Indirect, textrel and
 * funcrel encodings are not used for what this reads: they mark the reader bad. */
static uint64_t rd_encoded(struct reader *r, uint8_t enc, uintptr_t data) {
    if (enc == DW_EH_PE_omit) {
        r->bad = 1;
        return 0;
    }
    uintptr_t field = (uintptr_t)r->p;
    uint64_t v;
    switch (enc & 0x0f) {
    case 0x00: v = rd_bytes(r, 8); break;
    case 0x01: v = rd_uleb(r); break;
    case 0x02: v = rd_bytes(r, 2); break;
    case 0x03: v = rd_bytes(r, 4); break;
    case 0x04: v = rd_bytes(r, 8); break;
    case 0x09: v = (uint64_t)rd_sleb(r); break;
    case 0x0a: v = (uint64_t)(int64_t)(int16_t)rd_bytes(r, 2); break;
    case 0x0b: v = (uint64_t)(int64_t)(int32_t)rd_bytes(r, 4); break;
    case 0x0c: v = rd_bytes(r, 8); break;
    default: r->bad = 1; return 0;
    }
    switch (enc & 0x70) {
    case 0x00: break;
    case DW_EH_PE_pcrel: v += field; break;
    case DW_EH_PE_datarel: v += data; break;
    default: r->bad = 1; return 0;
    }
    if (enc & 0x80) r->bad = 1; /* indirect */
    return v;
}

/* Bytes of a pointer in encoding `enc` (for skipping one), or -1. */
static int encoded_size(uint8_t enc) {
    switch (enc & 0x0f) {
    case 0x00: case 0x04: case 0x0c: return 8;
    case 0x02: case 0x0a: return 2;
    case 0x03: case 0x0b: return 4;
    default: return -1;
    }
}

/* ------------------------------------------------------------------------ */
/* CFA programs                                                              */
/* ------------------------------------------------------------------------ */

#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16

enum { K_SAME, K_OFFSET, K_UNDEF, K_OTHER };
struct regrule {
    uint8_t kind;
    int64_t off;
};
struct row {
    uint64_t cfa_reg;
    int64_t cfa_off;
    int cfa_other; /* an expression: not supported */
    struct regrule rbp, ra;
};

struct cie {
    uint64_t code_align;
    int64_t data_align;
    uint8_t fde_enc;
    int has_aug_data;
    struct reader init; /* the initial instructions */
};

static struct regrule *tracked(struct row *row, uint64_t reg) {
    return reg == REG_RBP ? &row->rbp : reg == REG_RA ? &row->ra : NULL;
}

static void set_rule(struct row *row, uint64_t reg, uint8_t kind, int64_t off) {
    struct regrule *t = tracked(row, reg);
    if (t) {
        t->kind = kind;
        t->off = off;
    }
}

#define MAX_REMEMBER 8

/*
 * Runs CFA instructions from `r`, starting at code address `loc`, until the row that covers
 * `target` (`target` = SIZE_MAX: all of them, for a CIE's initial instructions). `initial` is
 * the row after the CIE's instructions (for DW_CFA_restore). Returns 0 on success.
 */
static int run_cfa(struct reader *r, const struct cie *cie, uintptr_t loc, uintptr_t target, struct row *row,
                   const struct row *initial, uintptr_t data) {
    struct row stack[MAX_REMEMBER];
    int depth = 0;
    while (r->p < r->end && !r->bad) {
        uint8_t op = (uint8_t)rd_bytes(r, 1);
        uint8_t low = op & 0x3f;
        uint64_t delta = 0, reg;
        switch (op >> 6) {
        case 1: /* DW_CFA_advance_loc */
            delta = low * cie->code_align;
            goto advance;
        case 2: /* DW_CFA_offset */
            set_rule(row, low, K_OFFSET, (int64_t)rd_uleb(r) * cie->data_align);
            continue;
        case 3: /* DW_CFA_restore */
            if (!initial) return -1;
            if (low == REG_RBP) row->rbp = initial->rbp;
            if (low == REG_RA) row->ra = initial->ra;
            continue;
        default:
            break;
        }
        switch (op) {
        case 0x00: break; /* nop */
        case 0x01: /* set_loc */
            loc = (uintptr_t)rd_encoded(r, cie->fde_enc, data);
            if (loc > target) return r->bad ? -1 : 0;
            break;
        case 0x02: delta = rd_bytes(r, 1) * cie->code_align; goto advance;
        case 0x03: delta = rd_bytes(r, 2) * cie->code_align; goto advance;
        case 0x04: delta = rd_bytes(r, 4) * cie->code_align; goto advance;
        case 0x05: /* offset_extended */
            reg = rd_uleb(r);
            set_rule(row, reg, K_OFFSET, (int64_t)rd_uleb(r) * cie->data_align);
            break;
        case 0x06: /* restore_extended */
            reg = rd_uleb(r);
            if (!initial) return -1;
            if (reg == REG_RBP) row->rbp = initial->rbp;
            if (reg == REG_RA) row->ra = initial->ra;
            break;
        case 0x07: set_rule(row, rd_uleb(r), K_UNDEF, 0); break;  /* undefined */
        case 0x08: set_rule(row, rd_uleb(r), K_SAME, 0); break;   /* same_value */
        case 0x09: /* register */
            reg = rd_uleb(r);
            rd_uleb(r);
            set_rule(row, reg, K_OTHER, 0);
            break;
        case 0x0a: /* remember_state */
            if (depth == MAX_REMEMBER) return -1;
            stack[depth++] = *row;
            break;
        case 0x0b: /* restore_state: the CFA rule is restored too (as GCC and libunwind do) */
            if (depth == 0) return -1;
            *row = stack[--depth];
            break;
        case 0x0c: /* def_cfa */
            row->cfa_reg = rd_uleb(r);
            row->cfa_off = (int64_t)rd_uleb(r);
            row->cfa_other = 0;
            break;
        case 0x0d: row->cfa_reg = rd_uleb(r); break;            /* def_cfa_register */
        case 0x0e: row->cfa_off = (int64_t)rd_uleb(r); break;   /* def_cfa_offset */
        case 0x0f: /* def_cfa_expression */
            row->cfa_other = 1;
            rd_skip(r, rd_uleb(r));
            break;
        case 0x10: /* expression */
        case 0x16: /* val_expression */
            reg = rd_uleb(r);
            set_rule(row, reg, K_OTHER, 0);
            rd_skip(r, rd_uleb(r));
            break;
        case 0x11: /* offset_extended_sf */
            reg = rd_uleb(r);
            set_rule(row, reg, K_OFFSET, rd_sleb(r) * cie->data_align);
            break;
        case 0x12: /* def_cfa_sf */
            row->cfa_reg = rd_uleb(r);
            row->cfa_off = rd_sleb(r) * cie->data_align;
            row->cfa_other = 0;
            break;
        case 0x13: row->cfa_off = rd_sleb(r) * cie->data_align; break; /* def_cfa_offset_sf */
        case 0x14: /* val_offset */
            reg = rd_uleb(r);
            rd_uleb(r);
            set_rule(row, reg, K_OTHER, 0);
            break;
        case 0x15: /* val_offset_sf */
            reg = rd_uleb(r);
            rd_sleb(r);
            set_rule(row, reg, K_OTHER, 0);
            break;
        case 0x2e: rd_uleb(r); break; /* GNU_args_size */
        case 0x2f: /* GNU_negative_offset_extended */
            reg = rd_uleb(r);
            set_rule(row, reg, K_OFFSET, -(int64_t)rd_uleb(r) * cie->data_align);
            break;
        default:
            return -1; /* not known here (e.g. GNU_window_save): leave it to libunwind */
        }
        continue;
    advance:
        if (loc + delta > target) return r->bad ? -1 : 0;
        loc += delta;
    }
    return r->bad ? -1 : 0;
}

/* Parses the CIE at `at` (inside [lo, hi)). */
static int parse_cie(const uint8_t *at, const uint8_t *lo, const uint8_t *hi, struct cie *cie) {
    struct reader r = {at, hi, 0};
    uint64_t len = rd_bytes(&r, 4);
    if (len == 0xffffffffu) len = rd_bytes(&r, 8);
    if (r.bad || len == 0 || len > (uint64_t)(hi - r.p) || at < lo) return -1;
    r.end = r.p + len;
    if (rd_bytes(&r, 4) != 0) return -1; /* CIE id */
    uint8_t version = (uint8_t)rd_bytes(&r, 1);
    if (version != 1 && version != 3) return -1;
    const char *aug = (const char *)r.p;
    size_t aug_len = strnlen(aug, (size_t)(r.end - r.p));
    if (aug_len == (size_t)(r.end - r.p)) return -1;
    r.p += aug_len + 1;
    cie->code_align = rd_uleb(&r);
    cie->data_align = rd_sleb(&r);
    uint64_t ra_reg = version == 1 ? rd_bytes(&r, 1) : rd_uleb(&r);
    if (ra_reg != REG_RA) return -1;
    cie->fde_enc = 0; /* absptr */
    cie->has_aug_data = 0;
    if (aug[0] == 'z') {
        cie->has_aug_data = 1;
        uint64_t n = rd_uleb(&r);
        if (r.bad || n > (uint64_t)(r.end - r.p)) return -1;
        struct reader a = {r.p, r.p + n, 0};
        for (const char *c = aug + 1; *c; c++) {
            if (*c == 'R') {
                cie->fde_enc = (uint8_t)rd_bytes(&a, 1);
            } else if (*c == 'L') {
                rd_bytes(&a, 1); /* the LSDA's encoding: FDE augmentation data, skipped there */
            } else if (*c == 'P') {
                uint8_t enc = (uint8_t)rd_bytes(&a, 1);
                int size = encoded_size(enc);
                if (size < 0) return -1;
                rd_skip(&a, (uint64_t)size);
            } else {
                return -1; /* 'S' (signal frame) and anything newer */
            }
        }
        if (a.bad) return -1;
        r.p += n;
    } else if (aug[0] != 0) {
        return -1;
    }
    if (r.bad) return -1;
    cie->init.p = r.p;
    cie->init.end = r.end;
    cie->init.bad = 0;
    return 0;
}

/* The rule at `pc` from the FDE at `fde` of a module spanning [lo, hi). */
static struct rule rule_from_fde(const uint8_t *fde, const uint8_t *lo, const uint8_t *hi, uintptr_t pc,
                                 uintptr_t data) {
    struct rule none = {0, 0, 0, RULE_KNOWN};
    struct reader r = {fde, hi, 0};
    if (fde < lo) return none;
    uint64_t len = rd_bytes(&r, 4);
    if (len == 0xffffffffu) len = rd_bytes(&r, 8);
    if (r.bad || len == 0 || len > (uint64_t)(hi - r.p)) return none;
    r.end = r.p + len;
    const uint8_t *id_field = r.p;
    uint64_t cie_off = rd_bytes(&r, 4);
    if (r.bad || cie_off == 0 || cie_off > (uint64_t)(id_field - lo)) return none;
    struct cie cie;
    if (parse_cie(id_field - cie_off, lo, hi, &cie) != 0) return none;
    uintptr_t begin = (uintptr_t)rd_encoded(&r, cie.fde_enc, data);
    uintptr_t range = (uintptr_t)rd_encoded(&r, cie.fde_enc & 0x0f, data); /* a length: no base */
    if (r.bad || pc < begin || pc - begin >= range) return none;
    if (cie.has_aug_data) {
        uint64_t n = rd_uleb(&r);
        rd_skip(&r, n);
        if (r.bad) return none;
    }
    struct row row = {REG_RSP, 8, 0, {K_SAME, 0}, {K_UNDEF, 0}};
    struct reader init = cie.init;
    if (run_cfa(&init, &cie, begin, SIZE_MAX, &row, NULL, data) != 0) return none;
    struct row initial = row;
    if (run_cfa(&r, &cie, begin, pc, &row, &initial, data) != 0) return none;

    struct rule out = {0, 0, 0, RULE_KNOWN};
    if (row.cfa_other || (row.cfa_reg != REG_RSP && row.cfa_reg != REG_RBP)) return out;
    if (row.cfa_off < INT32_MIN || row.cfa_off > INT32_MAX) return out;
    out.cfa_off = (int32_t)row.cfa_off;
    if (row.cfa_reg == REG_RBP) out.flags |= RULE_CFA_RBP;
    if (row.ra.kind == K_UNDEF) {
        out.flags |= RULE_OK | RULE_OUTERMOST;
        return out;
    }
    if (row.ra.kind != K_OFFSET || row.ra.off < -128 || row.ra.off > 127) return out;
    out.ra_off = (int8_t)row.ra.off;
    if (row.rbp.kind == K_OFFSET) {
        if (row.rbp.off < INT16_MIN || row.rbp.off > INT16_MAX) return out;
        out.rbp_off = (int16_t)row.rbp.off;
        out.flags |= RULE_RBP_SAVED;
    } else if (row.rbp.kind != K_SAME) {
        return out;
    }
    out.flags |= RULE_OK;
    return out;
}

/* Finds the FDE for pc through the module's .eh_frame_hdr binary search table. */
static struct rule rule_from_hdr(const uint8_t *hdr, const uint8_t *lo, const uint8_t *hi, uintptr_t pc) {
    struct rule none = {0, 0, 0, RULE_KNOWN};
    struct reader r = {hdr, hi, 0};
    uintptr_t data = (uintptr_t)hdr;
    if (hdr < lo || rd_bytes(&r, 1) != 1) return none; /* version */
    uint8_t frame_enc = (uint8_t)rd_bytes(&r, 1);
    uint8_t count_enc = (uint8_t)rd_bytes(&r, 1);
    uint8_t table_enc = (uint8_t)rd_bytes(&r, 1);
    rd_encoded(&r, frame_enc, data);
    uint64_t count = rd_encoded(&r, count_enc, data);
    /* the sorted table GNU ld writes: pairs of 4-byte offsets from the header */
    if (r.bad || table_enc != (DW_EH_PE_datarel | 0x0b) || count == 0 || count > (uint64_t)(hi - r.p) / 8)
        return none;
    const uint8_t *table = r.p;
    uint64_t first = 0, last = count; /* the last entry whose start is <= pc */
    while (last - first > 1) {
        uint64_t mid = first + (last - first) / 2;
        int32_t start;
        memcpy(&start, table + mid * 8, 4);
        if (data + (uintptr_t)(intptr_t)start <= pc) first = mid;
        else last = mid;
    }
    int32_t start, fde;
    memcpy(&start, table + first * 8, 4);
    memcpy(&fde, table + first * 8 + 4, 4);
    if (data + (uintptr_t)(intptr_t)start > pc) return none;
    return rule_from_fde((const uint8_t *)(data + (uintptr_t)(intptr_t)fde), lo, hi, pc, data);
}

struct find {
    uintptr_t pc;
    struct rule rule;
    int found;
};

/* dl_iterate_phdr callback: holds the loader's lock, so the module cannot be unloaded meanwhile. */
static int find_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct find *f = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    int contains = 0;
    const uint8_t *hdr = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            if (s < lo) lo = s;
            if (s + ph->p_memsz > hi) hi = s + ph->p_memsz;
            if (f->pc >= s && f->pc < s + ph->p_memsz && (ph->p_flags & PF_X)) contains = 1;
        } else if (ph->p_type == PT_GNU_EH_FRAME) {
            hdr = (const uint8_t *)s;
        }
    }
    if (!contains) return 0;
    f->found = 1;
    if (hdr) f->rule = rule_from_hdr(hdr, (const uint8_t *)lo, (const uint8_t *)hi, f->pc);
    return 1;
}

/* The rule for the frame whose return address is `ra` (looked up at ra - 1, the call). */
static struct rule rule_for(uintptr_t ra, uint32_t gen) {
    uintptr_t pc = ra - 1;
    uint32_t h = hash_pc(pc, RULE_BITS);
    struct rule_slot *free_slot = NULL;
    for (int probe = 0; probe < PROBES; probe++) {
        struct rule_slot *s = &rules[(h + (uint32_t)probe) & ((1u << RULE_BITS) - 1)];
        uint64_t key = __atomic_load_n(&s->pc, __ATOMIC_ACQUIRE);
        if (key == 0) {
            free_slot = s;
            break;
        }
        if (key == pc && s->gen == gen) return s->rule;
    }
    struct find f = {pc, {0, 0, 0, RULE_KNOWN}, 0};
    dl_iterate_phdr(find_cb, &f);
    if (free_slot) { /* we hold `learning`: no other writer */
        free_slot->gen = gen;
        free_slot->rule = f.rule;
        __atomic_store_n(&free_slot->pc, (uint64_t)pc, __ATOMIC_RELEASE);
    }
    return f.rule;
}

/* ------------------------------------------------------------------------ */
/* Learning                                                                  */
/* ------------------------------------------------------------------------ */

int uc_learn(const struct uc_regs *start, const struct uc_stack *stack, void *const *frames, int n,
             int truncated) {
    if (!shapes || n < 1 || n > UC_MAX_FRAMES || (uintptr_t)frames[0] != start->ip) return 0;
    if (start->sp < stack->lo || start->sp >= stack->hi) return 0;
    if (__atomic_exchange_n(&learning, 1, __ATOMIC_ACQUIRE)) return 0;
    int stored = 0;
    uint32_t gen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
    struct shape s;
    s.n = (uint16_t)n;
    s.gen = gen;
    s.pad = 0;
    s.stack_id = 0;
    s.pad2 = 0;
    int ok = 1;
    for (int i = 0; i < n && ok; i++) {
        s.cells[i].pc = (uint64_t)(uintptr_t)frames[i];
        if (i + 1 < n) {
            s.cells[i].rule = rule_for((uintptr_t)frames[i], gen);
            ok = (s.cells[i].rule.flags & RULE_OK) && !(s.cells[i].rule.flags & RULE_OUTERMOST);
        } else {
            /* a complete stack ends where the CFI says it does, for certain; a cut one where it was cut */
            struct rule last = rule_for((uintptr_t)frames[i], gen);
            s.cells[i].rule = last;
            ok = truncated || (last.flags & RULE_OUTERMOST);
        }
    }
    void *replayed[UC_MAX_FRAMES];
    if (ok && walk(s.cells, n, start, stack, replayed) == n && memcmp(replayed, frames, (size_t)n * sizeof(void *)) == 0) {
        uint64_t depth = stack->hi - start->sp;
        uint32_t h = hash_shape(start, stack);
        for (int probe = 0; probe < PROBES; probe++) {
            struct shape *slot = &shapes[(h + (uint32_t)probe) & ((1u << SHAPE_BITS) - 1)];
            uint64_t key = __atomic_load_n(&slot->key, __ATOMIC_ACQUIRE);
            if (key == 0) {
                slot->depth = depth;
                slot->gen = s.gen;
                slot->n = s.n;
                slot->stack_id = 0;
                memcpy(slot->cells, s.cells, (size_t)n * sizeof(struct cell));
                __atomic_store_n(&slot->key, (uint64_t)start->ip, __ATOMIC_RELEASE);
                stored = 1;
                break;
            }
            if (key == start->ip && slot->depth == depth && slot->gen == gen && slot->n == n &&
                memcmp(slot->cells, s.cells, (size_t)n * sizeof(struct cell)) == 0)
                break; /* another thread's sample stored it already */
        }
    }
    __atomic_store_n(&learning, 0, __ATOMIC_RELEASE);
    return stored;
}
