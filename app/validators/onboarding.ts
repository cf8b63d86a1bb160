import { open } from 'node:fs/promises'
import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import type { MultipartFile } from '@adonisjs/core/bodyparser'
import { freeText } from '#validators/text'

/*
|--------------------------------------------------------------------------
| Contractor onboarding and balance forms
|--------------------------------------------------------------------------
|
| Checked here before anything reaches Stripe, with messages a person can
| act on. The formats are US ones (the Connect country defaults to US).
|
*/

/** US states, DC and the territories Stripe accepts in US addresses, by 2-letter code */
// prettier-ignore
export const US_STATE_NAMES: Record<string, string> = {
  AL: 'Alabama', AK: 'Alaska', AZ: 'Arizona', AR: 'Arkansas', CA: 'California', CO: 'Colorado',
  CT: 'Connecticut', DE: 'Delaware', DC: 'District of Columbia', FL: 'Florida', GA: 'Georgia',
  HI: 'Hawaii', ID: 'Idaho', IL: 'Illinois', IN: 'Indiana', IA: 'Iowa', KS: 'Kansas',
  KY: 'Kentucky', LA: 'Louisiana', ME: 'Maine', MD: 'Maryland', MA: 'Massachusetts',
  MI: 'Michigan', MN: 'Minnesota', MS: 'Mississippi', MO: 'Missouri', MT: 'Montana',
  NE: 'Nebraska', NV: 'Nevada', NH: 'New Hampshire', NJ: 'New Jersey', NM: 'New Mexico',
  NY: 'New York', NC: 'North Carolina', ND: 'North Dakota', OH: 'Ohio', OK: 'Oklahoma',
  OR: 'Oregon', PA: 'Pennsylvania', RI: 'Rhode Island', SC: 'South Carolina', SD: 'South Dakota',
  TN: 'Tennessee', TX: 'Texas', UT: 'Utah', VT: 'Vermont', VA: 'Virginia', WA: 'Washington',
  WV: 'West Virginia', WI: 'Wisconsin', WY: 'Wyoming', AS: 'American Samoa', GU: 'Guam',
  MP: 'Northern Mariana Islands', PR: 'Puerto Rico', VI: 'U.S. Virgin Islands',
}

export const US_STATES = Object.keys(US_STATE_NAMES)

/** The states for the form's picker, by name */
export const US_STATE_CHOICES = Object.entries(US_STATE_NAMES)
  .map(([code, name]) => ({ code, name }))
  .sort((a, b) => a.name.localeCompare(b.name))

/** A 2-letter code from a code or a full name, whatever its case ("california" → "CA") */
export function usStateCode(value: string): string | null {
  const text = value.trim().replace(/\s+/g, ' ')
  const upper = text.toUpperCase()
  if (Object.hasOwn(US_STATE_NAMES, upper)) {
    return upper
  }
  const lower = text.toLowerCase().replace(/^us /, 'u.s. ')
  const found = Object.entries(US_STATE_NAMES).find(
    ([, name]) => name.toLowerCase() === lower || name.toLowerCase().replace('u.s. ', '') === lower
  )
  return found ? found[0] : null
}

/** A US state or territory, by code or full name; the value becomes its code */
const usState = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string') {
    return
  }
  const code = usStateCode(value)
  if (!code) {
    field.report(
      'Choose your state from the list (or type its name or 2-letter code).',
      'state',
      field
    )
    return
  }
  field.mutate(code, field)
})

/** Stripe verifies people from this age */
export const MINIMUM_AGE = 18

/** Stripe rejects identity documents above 10 MB */
export const DOCUMENT_MAX_SIZE = '10mb'
export const DOCUMENT_EXTNAMES = ['jpg', 'jpeg', 'png', 'pdf']

export interface DateOfBirth {
  day: number
  month: number
  year: number
}

/**
 * YYYY-MM-DD of a day that exists, in the past, of someone at least 18 (and
 * born after 1900). Dates are compared as calendar dates in UTC, never as
 * timestamps, so no time zone can move a birthday.
 */
const dateOfBirth = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string') {
    return
  }
  // YYYY-MM-DD, also written with / . or spaces, or as 8 digits (a phone's number pad)
  const match =
    /^(\d{4})[-/. ](\d{1,2})[-/. ](\d{1,2})$/.exec(value) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(value)
  if (!match) {
    field.report('Enter your date of birth as YYYY-MM-DD.', 'dob.format', field)
    return
  }
  const [year, month, day] = match.slice(1).map(Number)
  const date = new Date(Date.UTC(year, month - 1, day))
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    field.report(`${value} is not a real date.`, 'dob.exists', field)
    return
  }
  const today = new Date()
  const todayKey =
    today.getUTCFullYear() * 10000 + (today.getUTCMonth() + 1) * 100 + today.getUTCDate()
  const birthKey = year * 10000 + month * 100 + day
  if (birthKey >= todayKey) {
    field.report('The date of birth must be in the past.', 'dob.past', field)
    return
  }
  if (year < 1900) {
    field.report('Enter a date of birth after 1900.', 'dob.range', field)
    return
  }
  if (birthKey + MINIMUM_AGE * 10000 > todayKey) {
    field.report(
      `You must be at least ${MINIMUM_AGE} years old to be paid on Crewpay.`,
      'dob.age',
      field
    )
    return
  }
  const pad = (part: number) => String(part).padStart(2, '0')
  field.mutate(`${year}-${pad(month)}-${pad(day)}`, field)
})

/** A validated YYYY-MM-DD as Stripe wants it */
export function splitDate(value: string): DateOfBirth {
  const [year, month, day] = value.split('-').map(Number)
  return { day, month, year }
}

/**
 * Digits, optionally grouped with spaces or dashes ("123-45-6789"); the value
 * becomes the digits alone.
 */
export const digits = vine.createRule(
  (value: unknown, options: { lengths: number[]; what: string }, field: FieldContext) => {
    if (typeof value !== 'string') {
      return
    }
    if (!/^[\d\s-]+$/.test(value)) {
      field.report(`The ${options.what} can only contain digits.`, 'digits', field)
      return
    }
    const only = value.replace(/[\s-]/g, '')
    if (!options.lengths.includes(only.length)) {
      const count =
        options.lengths.length === 1
          ? `${options.lengths[0]}`
          : `${options.lengths[0]} to ${options.lengths.at(-1)}`
      field.report(`The ${options.what} must have ${count} digits.`, 'digits.length', field)
      return
    }
    field.mutate(only, field)
  }
)

/** A US phone number: 10 digits, optionally written with +1, spaces, dots, dashes or parentheses */
const usPhone = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string') {
    return
  }
  if (!/^\+?[\d\s().-]+$/.test(value)) {
    field.report('Enter a US phone number, digits only (e.g. 415 555 0123).', 'phone', field)
    return
  }
  let only = value.replace(/\D/g, '')
  if (only.length === 11 && only.startsWith('1')) {
    only = only.slice(1)
  }
  if (only.length !== 10) {
    field.report('Enter a 10-digit US phone number (e.g. 415 555 0123).', 'phone', field)
    return
  }
  field.mutate(only, field)
})

/** A US routing number: 9 digits whose ABA checksum holds */
export const routingNumber = vine.createRule(
  (value: unknown, _options: undefined, field: FieldContext) => {
    if (typeof value !== 'string') {
      return
    }
    if (!/^\d{9}$/.test(value)) {
      field.report('The routing number has 9 digits.', 'routing', field)
      return
    }
    const d = [...value].map(Number)
    const sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    if (sum % 10 !== 0) {
      field.report(
        'This is not a valid US routing number; check it on a check or with your bank.',
        'routing',
        field
      )
    }
  }
)

const SIGNATURES: Array<{ type: string; bytes: number[] }> = [
  { type: 'png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'jpg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
]

/** The type of a JPEG, PNG or PDF from its first bytes, or null */
export function documentTypeOf(head: Buffer): 'png' | 'jpg' | 'pdf' | null {
  const found = SIGNATURES.find(({ bytes }) => bytes.every((byte, index) => head[index] === byte))
  return (found?.type as 'png' | 'jpg' | 'pdf' | undefined) ?? null
}

/**
 * The content really is a JPEG, PNG or PDF. The body parser detects types by
 * magic number, but falls back to the file name when the content has no
 * signature it knows and is 4100 bytes or more: a text file named .png would
 * pass. So the first bytes are checked here too.
 */
const documentContent = vine.createRule(
  async (value: unknown, _options: undefined, field: FieldContext) => {
    const file = value as MultipartFile
    if (!field.isValid || !file?.tmpPath) {
      return
    }
    const handle = await open(file.tmpPath, 'r')
    try {
      const head = Buffer.alloc(8)
      await handle.read(head, 0, 8, 0)
      if (!documentTypeOf(head)) {
        field.report(
          'The file must be a JPEG, PNG or PDF image of the document.',
          'file.content',
          field
        )
      }
    } finally {
      await handle.close()
    }
  },
  { isAsync: true }
)

const identityDocument = () =>
  vine.file({ size: DOCUMENT_MAX_SIZE, extnames: DOCUMENT_EXTNAMES }).use(documentContent())

const name = () => freeText({ max: 100 })

export const detailsValidator = vine.withMetaData<{ idNumberOnFile: boolean }>().create({
  first_name: name(),
  last_name: name(),
  dob: vine.string().trim().use(dateOfBirth()),
  phone: vine.string().trim().maxLength(30).use(usPhone()),
  address_line1: freeText({ min: 3, max: 200 }),
  address_city: freeText({ min: 2, max: 100 }),
  address_state: vine.string().trim().maxLength(40).use(usState()),
  address_postal_code: vine
    .string()
    .trim()
    .regex(/^\d{5}(-\d{4})?$/),
  id_number: vine
    .string()
    .trim()
    .maxLength(20)
    .use(digits({ lengths: [9], what: 'SSN or ITIN' }))
    .optional()
    .requiredWhen((field) => !field.meta.idNumberOnFile && !field.parent.ssn_last_4),
  ssn_last_4: vine
    .string()
    .trim()
    .maxLength(10)
    .use(digits({ lengths: [4], what: 'last 4 of your SSN' }))
    .optional(),
})

export const termsValidator = vine.create({
  accept: vine.accepted(),
})

/**
 * The ID's front, unless the form brings only proof of address (what Stripe
 * asks for when the address could not be matched); a back needs its front.
 */
export const documentsValidator = vine.create({
  document_front: identityDocument()
    .optional()
    .requiredWhen((field) => !field.parent.additional_document || !!field.parent.document_back),
  document_back: identityDocument().optional(),
  additional_document: identityDocument().optional(),
})

export const bankValidator = vine.create({
  routing_number: vine.string().trim().use(routingNumber()),
  account_number: vine
    .string()
    .trim()
    .maxLength(30)
    .use(digits({ lengths: range(4, 17), what: 'account number' })),
  account_holder_name: freeText({ min: 2, max: 100 }),
})

const cursor = () =>
  vine
    .string()
    .trim()
    .regex(/^txn_[A-Za-z0-9]{1,64}$/)
    .optional()

export const balanceQueryValidator = vine.create({
  starting_after: cursor(),
  ending_before: cursor(),
})

function range(from: number, to: number) {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index)
}

const messages = new SimpleMessagesProvider(
  {
    'required': 'Enter your {{ field }}.',
    'string': 'The {{ field }} must be text.',
    'minLength': 'The {{ field }} must be at least {{ min }} characters long.',
    'maxLength': 'The {{ field }} must be at most {{ max }} characters long.',
    'address_postal_code.regex': 'Enter a 5-digit ZIP code (or ZIP+4, e.g. 94111-1234).',
    'id_number.required': 'Enter your SSN or ITIN (9 digits), or the last 4 digits of your SSN.',
    'accept.accepted': 'Tick the box to accept the Stripe Connected Account Agreement.',
    'accept.required': 'Tick the box to accept the Stripe Connected Account Agreement.',
    'document_front.required': 'Choose a photo or scan of the front of your ID.',
    'file': 'The {{ field }} must be a file.',
    'file.size': 'The file is too large: at most 10 MB.',
    'file.extname': 'The file must be a JPEG, PNG or PDF image of the document.',
    'file.content': 'The file must be a JPEG, PNG or PDF image of the document.',
    'starting_after.regex': 'This page link is not valid.',
    'ending_before.regex': 'This page link is not valid.',
  },
  {
    first_name: 'first name',
    last_name: 'last name',
    dob: 'date of birth',
    phone: 'phone number',
    address_line1: 'street address',
    address_city: 'city',
    address_state: 'state',
    address_postal_code: 'ZIP code',
    id_number: 'SSN or ITIN',
    ssn_last_4: 'last 4 of your SSN',
    document_front: 'front of your ID',
    document_back: 'back of your ID',
    additional_document: 'proof of address',
    routing_number: 'routing number',
    account_number: 'account number',
    account_holder_name: 'account holder name',
  }
)

for (const validator of [
  detailsValidator,
  termsValidator,
  documentsValidator,
  bankValidator,
  balanceQueryValidator,
]) {
  validator.messagesProvider = messages
}
