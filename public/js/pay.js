/*
 * A new card on a payment request's page, with Stripe.js Elements: when "A
 * new card" is chosen, the card goes from the browser to Stripe only, and
 * Crewpay's server receives the PaymentMethod id (pm_…) in the hidden
 * `new_payment_method` field.
 */
;(function () {
  const form = document.getElementById('pay-form')
  if (!form || !form.dataset.publishableKey || typeof window.Stripe !== 'function') {
    return
  }
  const stripe = window.Stripe(form.dataset.publishableKey)
  const card = stripe.elements().create('card')
  card.mount('#card-element')

  const errors = document.getElementById('card-errors')
  const button = form.querySelector('button[type="submit"]')
  let submitting = false

  card.on('change', function (event) {
    errors.textContent = event.error ? event.error.message : ''
  })

  form.addEventListener('submit', async function (event) {
    const choice = form.querySelector('input[name="payment_method"]:checked')
    if (!choice || choice.value !== 'new') {
      return
    }
    event.preventDefault()
    if (submitting) {
      return
    }
    submitting = true
    button.disabled = true
    const result = await stripe.createPaymentMethod({ type: 'card', card: card })
    if (result.error) {
      errors.textContent = result.error.message
      submitting = false
      button.disabled = false
      return
    }
    form.elements.new_payment_method.value = result.paymentMethod.id
    form.submit()
  })
})()
