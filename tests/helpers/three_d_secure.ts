/**
 * Goes through the Stripe sandbox's 3-D Secure test page as a browser does:
 * opens the page (`next_action.redirect_to_url.url`), presses "Complete
 * authentication" or "Fail authentication", and returns where the sandbox
 * sends the browser back (the return_url, with the query Stripe adds) as a
 * path and query of the app.
 */
export async function throughSandboxAuthentication(url: string, outcome: 'succeed' | 'fail') {
  const page = await fetch(url)
  if (page.status !== 200) {
    throw new Error(`The authentication page answered ${page.status}`)
  }
  const html = await page.text()
  const action = html.match(/<form method="post" action="([^"]+)"/)?.[1]
  const secret = html.match(/name="client_secret" value="([^"]+)"/)?.[1]
  if (!action || !secret) {
    throw new Error('The authentication page has no form')
  }
  const answer = await fetch(new URL(action, url), {
    method: 'POST',
    body: new URLSearchParams({ client_secret: secret, outcome }),
    redirect: 'manual',
  })
  const location = answer.headers.get('location')
  if (answer.status !== 303 || !location) {
    throw new Error(`The authentication page answered ${answer.status} without a redirect`)
  }
  const back = new URL(location)
  return { path: `${back.pathname}${back.search}`, query: back.searchParams }
}
