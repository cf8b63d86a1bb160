/*
|--------------------------------------------------------------------------
| What Stripe asks for, in words a contractor can act on
|--------------------------------------------------------------------------
|
| Stripe names what it still needs (`requirements.currently_due`, ...) with
| field paths such as `individual.dob.day`, and explains failed checks with
| `requirements.errors[].code`. These tables turn both into steps on the
| onboarding page. A requirement not listed here falls back to a message
| built from its prefix, so a new Stripe requirement never breaks the page.
|
*/

export type OnboardingStep = 'details' | 'terms' | 'documents' | 'bank'

export interface RequirementMessage {
  step: OnboardingStep | null
  message: string
}

const DETAILS_SUBMIT = 'Submit your details: Crewpay describes your business to Stripe for you.'

/** Exact requirement names */
export const REQUIREMENT_MESSAGES: Record<string, RequirementMessage> = {
  'business_type': { step: 'details', message: DETAILS_SUBMIT },
  'business_profile.mcc': { step: 'details', message: DETAILS_SUBMIT },
  'business_profile.url': { step: 'details', message: DETAILS_SUBMIT },
  'business_profile.product_description': { step: 'details', message: DETAILS_SUBMIT },
  'individual.first_name': { step: 'details', message: 'Enter your legal first and last name.' },
  'individual.last_name': { step: 'details', message: 'Enter your legal first and last name.' },
  'individual.dob.day': { step: 'details', message: 'Enter your date of birth.' },
  'individual.dob.month': { step: 'details', message: 'Enter your date of birth.' },
  'individual.dob.year': { step: 'details', message: 'Enter your date of birth.' },
  'individual.phone': { step: 'details', message: 'Enter your phone number.' },
  'individual.email': {
    step: 'details',
    message: 'Submit your details (Crewpay sends the email you signed up with).',
  },
  'individual.address.line1': { step: 'details', message: 'Enter your home address.' },
  'individual.address.city': { step: 'details', message: 'Enter your home address.' },
  'individual.address.state': { step: 'details', message: 'Enter your home address.' },
  'individual.address.postal_code': { step: 'details', message: 'Enter your home address.' },
  'individual.ssn_last_4': {
    step: 'details',
    message: 'Enter the last 4 digits of your SSN (or your full SSN or ITIN).',
  },
  'individual.id_number': { step: 'details', message: 'Enter your full SSN or ITIN (9 digits).' },
  'individual.verification.document': {
    step: 'documents',
    message:
      'Upload a photo or scan of a government-issued ID (front, and back if it has one): ' +
      "driver's license, passport or state ID.",
  },
  'individual.verification.additional_document': {
    step: 'documents',
    message:
      'Upload a document that proves your home address, such as a utility bill or a bank ' +
      'statement from the last 6 months.',
  },
  'tos_acceptance.date': {
    step: 'terms',
    message: 'Accept the Stripe Connected Account Agreement.',
  },
  'tos_acceptance.ip': { step: 'terms', message: 'Accept the Stripe Connected Account Agreement.' },
  'tos_acceptance.user_agent': {
    step: 'terms',
    message: 'Accept the Stripe Connected Account Agreement.',
  },
  'external_account': { step: 'bank', message: 'Add the bank account your payouts go to.' },
}

/** Prefixes, for requirements Stripe may add that the table above does not name */
const PREFIX_MESSAGES: Array<[string, RequirementMessage]> = [
  ['individual.verification.', REQUIREMENT_MESSAGES['individual.verification.document']],
  ['individual.address.', REQUIREMENT_MESSAGES['individual.address.line1']],
  ['individual.', { step: 'details', message: 'Check your details: Stripe needs more about you.' }],
  ['business_profile.', { step: 'details', message: DETAILS_SUBMIT }],
  ['tos_acceptance.', REQUIREMENT_MESSAGES['tos_acceptance.date']],
  ['external_account', REQUIREMENT_MESSAGES.external_account],
]

export function describeRequirement(requirement: string): RequirementMessage {
  if (Object.hasOwn(REQUIREMENT_MESSAGES, requirement)) {
    return REQUIREMENT_MESSAGES[requirement]
  }
  const byPrefix = PREFIX_MESSAGES.find(([prefix]) => requirement.startsWith(prefix))
  if (byPrefix) {
    return byPrefix[1]
  }
  return {
    step: null,
    message: `Stripe needs more information (${requirement}). Contact Crewpay support and we will help.`,
  }
}

/**
 * What a Details requirement asks for, as a noun, so the details still due
 * read as one sentence ("Enter your legal name, date of birth and phone
 * number.") rather than one line per Stripe field. Business fields are not
 * listed: the details form sends them for the contractor.
 */
const DETAIL_NOUNS: Array<[string, string]> = [
  ['individual.first_name', 'legal name'],
  ['individual.last_name', 'legal name'],
  ['individual.dob.', 'date of birth'],
  ['individual.phone', 'phone number'],
  ['individual.address.', 'home address'],
  ['individual.ssn_last_4', 'the last 4 digits of your SSN'],
  ['individual.id_number', 'full SSN or ITIN'],
]

/** The Details requirements due, as one sentence (null when none is due) */
export function describeDetailsDue(requirements: string[]): string | null {
  const details = requirements.filter(
    (requirement) => describeRequirement(requirement).step === 'details'
  )
  if (details.length === 0) {
    return null
  }
  const nouns: string[] = []
  for (const requirement of details) {
    const noun = DETAIL_NOUNS.find(([prefix]) => requirement.startsWith(prefix))?.[1]
    if (noun && !nouns.includes(noun)) {
      nouns.push(noun)
    }
  }
  if (nouns.length === 0) {
    return DETAILS_SUBMIT
  }
  // In the order of the form
  const order = [...new Set(DETAIL_NOUNS.map(([, noun]) => noun))]
  nouns.sort((a, b) => order.indexOf(a) - order.indexOf(b))
  const list =
    nouns.length === 1 ? nouns[0] : `${nouns.slice(0, -1).join(', ')} and ${nouns.at(-1)}`
  return `Enter your ${list}.`.replace('your the ', 'the ')
}

/** requirements.errors[].code: what went wrong and what to do about it */
export const ERROR_MESSAGES: Record<string, string> = {
  verification_failed_keyed_identity:
    'Stripe could not match your name, date of birth and SSN. Check them under Details, or ' +
    'upload a photo of your ID.',
  verification_failed_id_number_match:
    'Stripe could not verify your SSN or ITIN. Upload a photo of a government-issued ID, or ' +
    'correct the number under Details.',
  verification_failed_name_match:
    'Your name does not match the records Stripe checked. Enter your legal name under Details, ' +
    'or upload a photo of your ID.',
  verification_failed_address_match:
    'Stripe could not verify your address. Upload a document that proves it, such as a utility ' +
    'bill or a bank statement.',
  verification_failed_other:
    'Stripe could not verify your identity. Upload a photo of a government-issued ID.',
  verification_document_failed_test_mode:
    'The ID document was not accepted. Upload a clear color photo of your ID.',
  verification_document_not_readable:
    'Stripe could not read the document. Upload a sharp color photo in good light, with all ' +
    'four corners visible.',
  verification_document_failed_greyscale:
    'The document was in black and white. Upload a color photo or scan.',
  verification_document_incomplete:
    'Part of the document was cut off. Upload a photo that shows the whole document.',
  verification_document_too_large: 'The file was too large. Upload a file of at most 10 MB.',
  verification_document_corrupt: 'The file could not be opened. Upload it again.',
  verification_document_not_uploaded: 'The document did not arrive. Upload it again.',
  verification_document_expired: 'The document has expired. Upload an ID that is still valid.',
  verification_document_failed_copy:
    'The document looked like a copy of a copy. Upload a photo of the original document.',
  verification_document_type_not_supported:
    "This kind of document is not accepted. Upload a driver's license, passport or state ID.",
  verification_document_name_mismatch:
    'The name on the document does not match your details. Correct your legal name under ' +
    'Details, or upload a document in your name.',
  verification_document_dob_mismatch:
    'The date of birth on the document does not match your details. Correct it under Details.',
  verification_document_id_number_mismatch:
    'The number on the document does not match the SSN you entered. Correct it under Details.',
  verification_document_address_mismatch:
    'The address on the document does not match your details. Correct it, or upload a document ' +
    'with your current address.',
  verification_document_issue_or_expiry_date_missing:
    'The issue or expiry date is not visible on the document. Upload a photo that shows it.',
  verification_document_manipulated:
    'The document could not be accepted. Upload a photo of the original document.',
  verification_document_fraudulent: 'The document could not be accepted. Contact Crewpay support.',
  verification_document_photo_mismatch:
    'The photo on the document could not be matched. Upload another government-issued ID.',
  verification_document_nationality_mismatch:
    'The nationality on the document does not match your details. Upload another ID.',
  verification_document_country_not_supported:
    'Documents from this country are not accepted. Upload a US government-issued ID.',
  verification_document_failed_other:
    'The document could not be verified. Upload another government-issued ID.',
  invalid_address_po_boxes_disallowed: 'A P.O. box is not accepted: enter your home address.',
  invalid_address_highway_contract_box:
    'A highway contract box is not accepted: enter your home address.',
  invalid_dob_age_under_minimum: 'You must be at least 18 years old to be paid on Crewpay.',
  invalid_dob_age_over_maximum: 'Check your date of birth under Details.',
  invalid_phone_number: 'Check your phone number under Details.',
  invalid_street_address: 'Check your street address under Details.',
  invalid_tos_acceptance: 'Accept the Stripe Connected Account Agreement again.',
  invalid_value_other: 'Stripe did not accept one of your details. Check them under Details.',
}

export function describeRequirementError(code: string): string {
  if (Object.hasOwn(ERROR_MESSAGES, code)) {
    return ERROR_MESSAGES[code]
  }
  if (code.startsWith('verification_document_')) {
    return ERROR_MESSAGES.verification_document_failed_other
  }
  if (code.startsWith('verification_')) {
    return ERROR_MESSAGES.verification_failed_other
  }
  return 'Stripe could not accept this information. Check it and submit it again.'
}

/** requirements.disabled_reason, for accounts Stripe has restricted */
export const DISABLED_REASONS: Record<string, string> = {
  'requirements.past_due': 'Stripe needs more information before you can be paid.',
  'requirements.pending_verification': 'Stripe is verifying your information.',
  'action_required.requested_capabilities': 'Stripe needs more information before you can be paid.',
  'listed': 'Stripe is reviewing your account (it may match a restricted list).',
  'under_review': 'Stripe is reviewing your account.',
  'platform_paused': 'Crewpay has paused this account. Contact Crewpay support.',
  'rejected.fraud': 'Stripe closed this account because of suspected fraud.',
  'rejected.incomplete_verification':
    'Stripe closed this account because verification was not completed in time.',
  'rejected.listed': 'Stripe closed this account: it matches a restricted list.',
  'rejected.other': 'Stripe closed this account.',
  'rejected.platform_fraud': 'Crewpay closed this account because of suspected fraud.',
  'rejected.platform_other': 'Crewpay closed this account.',
  'rejected.platform_terms_of_service': "Crewpay closed this account: it broke Crewpay's terms.",
  'rejected.terms_of_service': "Stripe closed this account: it broke Stripe's terms of service.",
  'other': 'Stripe has restricted this account. Contact Crewpay support.',
}

/** Reasons that mean "provide or wait", not a restriction the contractor cannot lift */
export const NOT_RESTRICTED = new Set([
  'requirements.past_due',
  'requirements.pending_verification',
  'action_required.requested_capabilities',
])

export function describeDisabledReason(reason: string): string {
  if (Object.hasOwn(DISABLED_REASONS, reason)) {
    return DISABLED_REASONS[reason]
  }
  if (reason.startsWith('rejected.')) {
    return DISABLED_REASONS['rejected.other']
  }
  return DISABLED_REASONS.other
}

/** requirements.pending_verification: what Stripe is checking right now */
const PENDING_MESSAGES: Array<[string, string]> = [
  ['individual.verification.document', 'Your ID document'],
  ['individual.verification.additional_document', 'Your proof of address'],
  ['individual.address.', 'Your home address'],
  ['individual.', 'Your identity (name, date of birth and SSN)'],
  ['external_account', 'Your bank account'],
]

export function describePendingRequirement(requirement: string): string {
  return PENDING_MESSAGES.find(([prefix]) => requirement.startsWith(prefix))?.[1] ?? 'Your details'
}
