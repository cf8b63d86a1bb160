/*
|--------------------------------------------------------------------------
| The banners at the top of a page
|--------------------------------------------------------------------------
|
| One message per event, in our words. The framework flashes some refusals
| twice (as `error` and in `errorsBag`) and in its own words ("Invalid user
| credentials"); the layout shows what this returns: each message once, the
| framework's replaced by ours. Validation errors are shown beside their
| fields instead.
|
*/

export interface Notice {
  /** warning: nothing went wrong, but the person has something to do or to wait for */
  kind: 'success' | 'warning' | 'error'
  text: string
}

/** The framework's refusals, by code and by the words it flashes */
const OUR_WORDS: Record<string, string> = {
  E_INVALID_CREDENTIALS:
    'That email and password do not match an account. Check them and try again.',
  E_BAD_CSRF_TOKEN:
    'This page was open too long, so nothing was sent. Check the form and send it again.',
  E_UNAUTHORIZED_ACCESS: 'Log in to see this page.',
}

const FRAMEWORK_MESSAGES: Record<string, string> = {
  'Invalid user credentials': OUR_WORDS.E_INVALID_CREDENTIALS,
  'Invalid or expired CSRF token': OUR_WORDS.E_BAD_CSRF_TOKEN,
  'Unauthorized access': OUR_WORDS.E_UNAUTHORIZED_ACCESS,
}

/** A flashed message in our words */
export function inOurWords(message: string, code?: string) {
  if (code && Object.hasOwn(OUR_WORDS, code)) {
    return OUR_WORDS[code]
  }
  return Object.hasOwn(FRAMEWORK_MESSAGES, message) ? FRAMEWORK_MESSAGES[message] : message
}

interface FlashStore {
  has(key: string): boolean
  get(key: string, fallback?: unknown): unknown
}

/** The banners for the flash messages of this request, each once */
export function noticesOf(flash: FlashStore | null | undefined): Notice[] {
  if (!flash) {
    return []
  }
  const notices: Notice[] = []
  const add = (kind: Notice['kind'], text: string) => {
    if (text && !notices.some((notice) => notice.text === text)) {
      notices.push({ kind, text })
    }
  }
  if (flash.has('success')) {
    add('success', String(flash.get('success')))
  }
  if (flash.has('warning')) {
    add('warning', String(flash.get('warning')))
  }
  if (flash.has('error')) {
    add('error', inOurWords(String(flash.get('error'))))
  }
  const bag = (flash.get('errorsBag', {}) ?? {}) as Record<string, unknown>
  for (const [code, message] of Object.entries(bag)) {
    if (code !== 'E_VALIDATION_ERROR') {
      add('error', inOurWords(String(message), code))
    }
  }
  return notices
}
