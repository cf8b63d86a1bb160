import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import UserProfile from '#models/user_profile'
import { DomainError } from '#exceptions/domain_error'
import type { FeePlan } from '#money/fees'
import { recordPaymentEvent } from '#services/payment_events'
import { describeFeePlan, feePlanOf } from '#actions/contractors/fee_plans'

/** Why a plan cannot be set, or null (callers may check before asking for a confirmation) */
export function feePlanProblem(plan: FeePlan) {
  if (plan.basisPoints < 0 || plan.basisPoints > 10_000) {
    return 'The percentage must be between 0 and 100.'
  }
  if (plan.fixed < 0 || (plan.minimum ?? 0) < 0 || (plan.maximum ?? 0) < 0) {
    return 'Fee amounts cannot be negative.'
  }
  if (
    plan.minimum !== null &&
    plan.minimum !== undefined &&
    plan.maximum !== null &&
    plan.maximum !== undefined &&
    plan.minimum > plan.maximum
  ) {
    return 'The minimum fee cannot be above the maximum.'
  }
  return null
}

/**
 * Sets a contractor's own fee plan (null: back to the platform default). It
 * applies to lines ordered from now on: each line keeps the plan it was
 * ordered under. Audited like any change of money rules.
 */
export async function setFeePlan(contractor: User, plan: FeePlan | null, actor: string) {
  const problem = plan ? feePlanProblem(plan) : null
  if (problem) {
    throw DomainError.invalid(problem)
  }
  return db.transaction(async (trx) => {
    const profile = await UserProfile.query({ client: trx })
      .where('userId', contractor.id)
      .forUpdate()
      .firstOrFail()
    const before = feePlanOf(profile)
    profile.useTransaction(trx)
    profile.merge({
      feeBasisPointsOverride: plan?.basisPoints ?? null,
      feeFixedOverride: plan ? plan.fixed : null,
      feeMinimumOverride: plan?.minimum ?? null,
      feeMaximumOverride: plan?.maximum ?? null,
    })
    await profile.save()
    const after = feePlanOf(profile)
    await recordPaymentEvent(trx, {
      actor,
      type: 'contractor.fee_plan_changed',
      message:
        `${contractor.email}: ${describeFeePlan(before, profile.defaultCurrency)} → ` +
        `${describeFeePlan(after, profile.defaultCurrency)}${plan ? '' : ' (platform default)'}`,
    })
    return { profile, plan: after }
  })
}
