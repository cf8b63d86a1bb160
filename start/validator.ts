/*
|--------------------------------------------------------------------------
| Validation messages
|--------------------------------------------------------------------------
|
| Messages a person can act on, shared by every form and console argument.
|
*/
import vine, { SimpleMessagesProvider } from '@vinejs/vine'

vine.messagesProvider = new SimpleMessagesProvider(
  {
    'required': 'Enter your {{ field }}.',
    'string': 'The {{ field }} must be text.',
    'email': 'Enter a valid email address.',
    'minLength': 'The {{ field }} must be at least {{ min }} characters long.',
    'maxLength': 'The {{ field }} must be at most {{ max }} characters long.',
    'enum': 'Choose one of: {{ choices }}.',
    'database.unique': 'This {{ field }} is already registered.',
    'password.regex': 'The password must contain at least one letter and one digit.',
    'role.enum': 'Choose employer or contractor.',
    'number': 'The {{ field }} must be a number.',
    'service_id.number': 'Choose a service.',
    'service_id.required': 'Choose a service.',
    'service_id.positive': 'Choose a service.',
    'service_id.withoutDecimals': 'Choose a service.',
    'service_id.max': 'Choose a service.',
    'payment_method.regex': 'Choose one of your saved cards.',
  },
  {
    full_name: 'full name',
  }
)
