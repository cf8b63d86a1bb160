import type UserProfile from '#models/user_profile'
import {
  describeDetailsDue,
  describeDisabledReason,
  describePendingRequirement,
  describeRequirement,
  describeRequirementError,
  NOT_RESTRICTED,
  type OnboardingStep,
} from '#actions/onboarding/requirement_messages'

/*
 * Where a contractor stands, computed only from the verification snapshot
 * Stripe gave us (requirements, enabled flags, disabled reason), never from
 * what we think we sent.
 */

export type OverallStatus = 'setting_up' | 'active' | 'pending' | 'action_required' | 'restricted'

export type StepState = 'done' | 'due' | 'pending' | 'optional'

export interface StatusView {
  key: OverallStatus
  label: string
  tone: 'ok' | 'warn' | 'bad'
  summary: string
}

export interface TodoItem {
  step: OnboardingStep | null
  message: string
}

export interface ProblemItem {
  requirement: string
  code: string
  message: string
  /** Stripe's own explanation, written to be shown to the account holder */
  reason: string
}

export interface OnboardingState {
  status: StatusView
  todo: TodoItem[]
  problems: ProblemItem[]
  /** What Stripe is checking right now */
  pending: string[]
  steps: Record<OnboardingStep, StepState>
}

/** The page's step for a requirement (requirement_messages.ts, with its prefix fallback) */
function stepOf(requirement: string): OnboardingStep | null {
  return describeRequirement(requirement).step
}

const STEP_ORDER: Array<OnboardingStep | null> = ['details', 'terms', 'documents', 'bank', null]

/**
 * Requirement names as distinct human steps, in the order of the page: the
 * Details fields as one sentence, every other step's message once.
 */
function describeAll(requirements: string[]): TodoItem[] {
  const items: TodoItem[] = []
  const details = describeDetailsDue(requirements)
  if (details) {
    items.push({ step: 'details', message: details })
  }
  const seen = new Set<string>()
  for (const requirement of requirements) {
    const { step, message } = describeRequirement(requirement)
    if (step !== 'details' && !seen.has(message)) {
      seen.add(message)
      items.push({ step, message })
    }
  }
  return items.sort((a, b) => STEP_ORDER.indexOf(a.step) - STEP_ORDER.indexOf(b.step))
}

export function onboardingState(
  profile: UserProfile,
  options: { documentOnFile?: boolean } = {}
): OnboardingState {
  const due = [...new Set([...profile.requirementsPastDue, ...profile.requirementsCurrentlyDue])]
  const pending = profile.requirementsPendingVerification
  const errors = profile.requirementsErrors
  const disabledReason = profile.disabledReason

  const steps = {} as Record<OnboardingStep, StepState>
  for (const step of ['details', 'terms', 'documents', 'bank'] as const) {
    const stepDue = due.some((requirement) => stepOf(requirement) === step)
    const stepPending = pending.some((requirement) => stepOf(requirement) === step)
    steps[step] = stepDue ? 'due' : stepPending ? 'pending' : 'done'
  }
  if (steps.documents === 'done' && !options.documentOnFile) {
    // Stripe asks for a document only when it cannot verify the details alone
    steps.documents = 'optional'
  }

  const problems = errors.map((error) => ({
    requirement: error.requirement,
    code: error.code,
    message: describeRequirementError(error.code),
    reason: error.reason,
  }))

  let status: StatusView
  if (!profile.stripeId || !profile.stripeSyncedAt) {
    status = {
      key: 'setting_up',
      label: 'Setting up',
      tone: 'warn',
      summary: 'Crewpay is creating your payment account with Stripe.',
    }
    for (const step of Object.keys(steps) as OnboardingStep[]) {
      steps[step] = step === 'documents' ? 'optional' : 'due'
    }
  } else if (disabledReason && !NOT_RESTRICTED.has(disabledReason)) {
    status = {
      key: 'restricted',
      label: 'Restricted',
      tone: 'bad',
      summary: describeDisabledReason(disabledReason),
    }
  } else if (profile.chargesEnabled && profile.payoutsEnabled) {
    status = {
      key: 'active',
      label: 'Active',
      tone: 'ok',
      summary: 'You can take orders and receive payouts.',
    }
  } else if (due.length > 0 || errors.length > 0) {
    status = {
      key: 'action_required',
      label: 'Action required',
      tone: 'bad',
      summary:
        'Stripe needs a few things from you before you can be paid: the steps below say what.',
    }
  } else if (pending.length > 0) {
    status = {
      key: 'pending',
      label: 'Verification pending',
      tone: 'warn',
      summary:
        'Stripe is checking your information. This usually takes a few minutes; this page ' +
        'shows the result when it is ready.',
    }
  } else {
    status = {
      key: 'restricted',
      label: 'Restricted',
      tone: 'bad',
      summary: disabledReason
        ? describeDisabledReason(disabledReason)
        : 'Stripe has not enabled payments and payouts on this account yet.',
    }
  }

  return {
    status,
    todo: describeAll(due),
    problems,
    pending: [...new Set(pending.map(describePendingRequirement))],
    steps,
  }
}
