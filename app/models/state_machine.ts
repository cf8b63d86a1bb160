import { DomainError } from '#exceptions/domain_error'

/**
 * Who acts: a party of the record, an admin at the console, the app itself
 * (scheduled work, consequences of another change), or Stripe (the app
 * following what Stripe reports: an answer, a webhook, reconciliation).
 */
export type ActorKind = 'employer' | 'contractor' | 'admin' | 'system' | 'stripe'

/** (status, verb) → [next status, who may] */
export type StateTable<S extends string, V extends string> = Record<
  S,
  Partial<Record<V, readonly [S, readonly ActorKind[]]>>
>

/**
 * A declarative state table for one status column. Every change of that
 * column asks it for the next status: a pair it does not list is refused.
 */
export class StateMachine<S extends string, V extends string> {
  constructor(
    /** "order line", "payment": used in refusals */
    readonly subject: string,
    readonly table: StateTable<S, V>,
    /** How each status reads in a sentence ("is waiting for the contractor") */
    private describe: (status: S) => string
  ) {}

  get statuses() {
    return Object.keys(this.table) as S[]
  }

  /** The status `verb` leads to from `from`, or null when the table has no such pair */
  target(from: S, verb: V): S | null {
    return this.table[from]?.[verb]?.[0] ?? null
  }

  /** Whether `who` may `verb` from `from` */
  can(from: S, verb: V, who: ActorKind) {
    const entry = this.table[from]?.[verb]
    return Boolean(entry && entry[1].includes(who))
  }

  /** The next status, or a refusal saying why (conflict: wrong state; forbidden: wrong actor) */
  next(from: S, verb: V, who: ActorKind, label = `this ${this.subject}`): S {
    const entry = this.table[from]?.[verb]
    if (entry && entry[1].includes(who)) {
      return entry[0]
    }
    // Someone who may do this, only not now, is told why not now
    if (this.statuses.some((status) => this.can(status, verb, who))) {
      throw DomainError.conflict(`Cannot ${verb} ${label}: it ${this.describe(from)}.`)
    }
    const allowed = [
      ...new Set(
        this.allowed()
          .filter((row) => row.verb === verb)
          .map((row) => row.who)
      ),
    ]
    throw DomainError.forbidden(
      allowed.length
        ? `Only ${list(allowed)} can ${verb} ${label}.`
        : `Nobody can ${verb} ${label}.`
    )
  }

  /**
   * `to`, when the table has a step from `from` to it that `who` may take:
   * for records that follow Stripe's answer, which names the status reached
   * rather than the verb. Staying where it is is always allowed (a repeated
   * answer); anything else is a bug, refused.
   */
  reach(from: S, to: S, who: ActorKind): S {
    if (from === to) {
      return to
    }
    const steps = Object.values(this.table[from] ?? {}) as (readonly [S, readonly ActorKind[]])[]
    const step = steps.find((entry) => entry[0] === to && entry[1].includes(who))
    if (!step) {
      throw DomainError.conflict(`A ${this.subject} cannot go from ${from} to ${to}.`)
    }
    return to
  }

  /** Every (status, verb, who) the table allows, for tests and documentation */
  allowed() {
    const rows: { from: S; verb: V; to: S; who: ActorKind }[] = []
    for (const from of this.statuses) {
      for (const [verb, entry] of Object.entries(this.table[from]) as [V, [S, ActorKind[]]][]) {
        for (const who of entry[1]) {
          rows.push({ from, verb, to: entry[0], who })
        }
      }
    }
    return rows
  }
}

const PARTY_WORDS: Record<ActorKind, string> = {
  employer: 'the employer',
  contractor: 'the contractor',
  admin: 'an admin',
  system: 'Crewpay',
  stripe: 'Stripe',
}

function list(kinds: readonly ActorKind[]) {
  const words = kinds.map((kind) => PARTY_WORDS[kind])
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : words[0]
}
