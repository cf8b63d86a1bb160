import type { ApiClient, ApiResponse } from '@japa/api-client'

/**
 * Follows a redirect the way a browser would: same session (so the same
 * login), with the flash messages the previous request left.
 */
export function followRedirect(client: ApiClient, response: ApiResponse) {
  const location = response.header('location')
  if (!location) {
    throw new Error(`Expected a redirect, got ${response.status()}`)
  }
  return client
    .get(location)
    .withSession(response.session())
    .withFlashMessages(response.flashMessages())
}
