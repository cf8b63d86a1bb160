/*
 * Card entry with Stripe.js Elements. The card number goes from the browser
 * to Stripe only; Crewpay's server receives the PaymentMethod id (pm_…) that
 * Stripe returns, in the hidden `payment_method` field.
 */
;(function () {
  const form = document.getElementById('add-card-form')
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
    form.elements.payment_method.value = result.paymentMethod.id
    form.submit()
  })
})()
