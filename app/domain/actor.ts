import type { ActorKind } from '#models/state_machine'

/**
 * Who does something: the kind the state tables check, and the label the
 * audit (`payment_events.actor`) records: `user:12`, `console:<os user>`,
 * `system:<job>`, `webhook:evt_…`.
 */
export interface Actor {
  kind: ActorKind
  label: string
}

export const actors = {
  party(kind: 'employer' | 'contractor', userId: number): Actor {
    return { kind, label: `user:${userId}` }
  },
  admin(label: string): Actor {
    return { kind: 'admin', label }
  },
  system(job: string): Actor {
    return { kind: 'system', label: job.startsWith('system:') ? job : `system:${job}` }
  },
  stripe(label = 'stripe'): Actor {
    return { kind: 'stripe', label }
  },
}
