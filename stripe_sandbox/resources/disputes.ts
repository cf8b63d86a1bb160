import { type Context } from '../core/context.js'
import { previousAttributes, snapshot } from '../core/diff.js'
import { invalidRequest, paramError } from '../core/errors.js'
import { LIST_PARAMS, paginate } from '../core/lists.js'
import { applyMetadata, bool, hash, int, meta, str } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Engine } from '../engine.js'
import { evidenceSpec, hasEvidence, mergeEvidence } from '../disputes/evidence.js'
import {
  ALREADY_CLOSED,
  CLOSED_STATUSES,
  decide,
  openDispute,
  registerDisputeJobs,
  submitEvidence,
  undisputable,
} from '../disputes/lifecycle.js'
import { DISPUTE_PROFILES, disputeProfileFor } from '../disputes/test_cards.js'

/*
 * /v1/disputes: list, retrieve, update (evidence, submit, metadata), close;
 * and sandbox controls to open a dispute on any charge and to rule on one.
 */

const UNDER_REVIEW = new Set(['under_review', 'warning_under_review'])

export function registerDisputes(engine: Engine): void {
  const router = engine.router
  engine.setIndexer('dispute', (rec) => {
    const keys = [`charge=${rec.obj.charge}`]
    if (rec.obj.payment_intent) {
      keys.push(`payment_intent=${rec.obj.payment_intent}`)
    }
    return keys
  })
  // Stripe embeds the full balance transactions (withdrawal, reinstatement).
  engine.setRenderer('dispute', (rec) => ({
    ...rec.obj,
    balance_transactions: rec.obj.balance_transactions.map((id: string) => {
      return engine.store.get(id)!.obj
    }),
  }))
  registerDisputeJobs(engine)

  const render = (rec: Rec) => engine.render(rec)

  const find = (ctx: Context, id: string): Rec => {
    const rec = engine.store.get(id)
    if (!rec || rec.type !== 'dispute' || rec.acct !== ctx.account) {
      throw invalidRequest(`No such dispute: '${id}'`, {
        code: 'resource_missing',
        param: 'dispute',
        status: 404,
      })
    }
    return rec
  }

  router.add(
    'GET',
    '/v1/disputes',
    hash({ ...LIST_PARAMS, charge: str(), payment_intent: str() }),
    (ctx) => {
      const { charge, payment_intent: pi } = ctx.params
      let key = `dispute|${ctx.account}`
      if (charge) {
        key += `|charge=${charge}`
      } else if (pi) {
        key += `|payment_intent=${pi}`
      }
      return paginate(engine.store.list(key), ctx.params, {
        store: engine.store,
        url: '/v1/disputes',
        label: 'dispute',
        render,
        filter: charge && pi ? (rec) => rec.obj.payment_intent === pi : undefined,
      })
    }
  )

  router.add('GET', '/v1/disputes/:id', hash({}), (ctx) => render(find(ctx, ctx.path.id)))

  router.add(
    'POST',
    '/v1/disputes/:id',
    hash({
      evidence: evidenceSpec,
      intended_submission_method: str([
        'manual',
        'prefer_manual',
        'prefer_smart_disputes',
        'smart_disputes',
      ]),
      metadata: meta(),
      submit: bool(),
    }),
    (ctx) => {
      const dispute = find(ctx, ctx.path.id)
      const d = dispute.obj
      const params = ctx.params
      const evidenceGiven = params.evidence !== undefined
      // Evidence is submitted unless submit=false; a metadata-only update submits nothing.
      const submitting = params.submit === true || (params.submit === undefined && evidenceGiven)
      const changesCase =
        evidenceGiven || submitting || params.intended_submission_method !== undefined
      if (changesCase && CLOSED_STATUSES.has(d.status)) {
        throw invalidRequest(ALREADY_CLOSED)
      }
      if ((evidenceGiven || submitting) && UNDER_REVIEW.has(d.status)) {
        // Stripe forwards one submission as it is (UNCONFIRMED: the exact error)
        throw invalidRequest(
          'This dispute is under review: its evidence has been submitted and can no longer be ' +
            'changed.'
        )
      }
      const evidence = evidenceGiven
        ? mergeEvidence(engine, ctx.account, d.evidence, params.evidence)
        : d.evidence
      if (submitting && !hasEvidence(evidence)) {
        throw paramError('There is no evidence to submit: provide evidence[...] first.', {
          param: 'evidence',
        })
      }

      const before = snapshot(render(dispute))
      d.evidence = evidence
      d.evidence_details.has_evidence = hasEvidence(evidence)
      if (params.intended_submission_method !== undefined) {
        d.intended_submission_method = params.intended_submission_method
      }
      d.metadata = applyMetadata(d.metadata, params.metadata)
      if (submitting) {
        submitEvidence(engine, dispute)
      }
      const previous = previousAttributes(before, render(dispute))
      if (previous) {
        engine.emitFor(dispute, 'charge.dispute.updated', previous)
      }
      engine.markDirty()
      return render(dispute)
    }
  )

  // Accepting the dispute: a chargeback is lost for good, an inquiry closes (UNCONFIRMED).
  router.add('POST', '/v1/disputes/:id/close', hash({}), (ctx) => {
    const dispute = find(ctx, ctx.path.id)
    if (CLOSED_STATUSES.has(dispute.obj.status)) {
      throw invalidRequest(ALREADY_CLOSED)
    }
    decide(engine, dispute, 'lost')
    return render(dispute)
  })

  // ---- sandbox controls ----------------------------------------------------------

  // Opens a dispute on any captured charge, as `test_payment_method` would have.
  router.add(
    'POST',
    '/v1/test_helpers/sandbox/disputes',
    hash(
      {
        charge: str(),
        amount: int(1),
        reason: str(),
        test_payment_method: str(Object.keys(DISPUTE_PROFILES)),
      },
      ['charge']
    ),
    (ctx) => {
      const params = ctx.params
      const charge = engine.store.get(params.charge)
      if (!charge || charge.type !== 'charge' || charge.acct !== ctx.account) {
        throw invalidRequest(`No such charge: '${params.charge}'`, {
          code: 'resource_missing',
          param: 'charge',
        })
      }
      const refusal = undisputable(charge)
      if (refusal) {
        throw invalidRequest(refusal, { param: 'charge' })
      }
      if (params.amount !== undefined && params.amount > charge.obj.amount_captured) {
        throw paramError(
          `The disputed amount (${params.amount}) cannot exceed the captured amount ` +
            `(${charge.obj.amount_captured}).`,
          { code: 'amount_too_large', param: 'amount' }
        )
      }
      const profile = disputeProfileFor(params.test_payment_method ?? 'pm_card_createDispute')!
      const dispute = openDispute(
        engine,
        charge,
        params.reason ? { ...profile, reason: params.reason } : profile,
        params.amount
      )
      return render(dispute)
    }
  )

  // Rules on an open dispute now (test-mode rulings otherwise only follow the outcome strings).
  router.add(
    'POST',
    '/v1/test_helpers/sandbox/disputes/:id/decide',
    hash({ outcome: str(['won', 'lost']) }, ['outcome']),
    (ctx) => {
      const dispute = find(ctx, ctx.path.id)
      if (CLOSED_STATUSES.has(dispute.obj.status)) {
        throw invalidRequest(ALREADY_CLOSED)
      }
      decide(engine, dispute, ctx.params.outcome)
      return render(dispute)
    }
  )
}
