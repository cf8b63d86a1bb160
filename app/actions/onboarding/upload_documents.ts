import { readFile } from 'node:fs/promises'
import type Stripe from 'stripe'
import type { MultipartFile } from '@adonisjs/core/bodyparser'
import type User from '#models/user'
import { stripe } from '#stripe/client'
import { documentTypeOf } from '#validators/onboarding'
import {
  contractorAccount,
  onboardingKey,
  updateAccount,
  writeFailure,
} from '#actions/onboarding/account_writes'

export interface DocumentUploads {
  /** Absent when only proof of address is sent */
  document_front?: MultipartFile
  document_back?: MultipartFile
  additional_document?: MultipartFile
}

const MIME_TYPES = { png: 'image/png', jpg: 'image/jpeg', pdf: 'application/pdf' } as const

/**
 * Stripe's purpose for each form field: the ID's sides are identity
 * documents, proof of address is additional verification.
 */
const PURPOSES: Record<keyof DocumentUploads, Stripe.FileCreateParams.Purpose> = {
  document_front: 'identity_document',
  document_back: 'identity_document',
  additional_document: 'additional_verification',
}

const ATTACH_FIELDS: Record<string, string> = {
  'individual[verification][document][front]': 'document_front',
  'individual[verification][document][back]': 'document_back',
  'individual[verification][additional_document][front]': 'additional_document',
}

/**
 * Identity document step: each file goes to Stripe Files (as the connected
 * account, which owns it), then the file ids are attached to the person.
 * Files are read from the upload's temporary path; the discard_uploads
 * middleware deletes them whatever happens.
 */
export async function uploadDocuments(user: User, uploads: DocumentUploads) {
  const { profile, accountId } = await contractorAccount(user)

  const fileIds: Partial<Record<keyof DocumentUploads, string>> = {}
  for (const field of Object.keys(PURPOSES) as Array<keyof DocumentUploads>) {
    const upload = uploads[field]
    if (!upload?.tmpPath) {
      continue
    }
    const data = await readFile(upload.tmpPath)
    // JPEG, PNG or PDF: the validator refused anything else (documentContent)
    const type = documentTypeOf(data)!
    try {
      const file = await stripe().files.create(
        {
          purpose: PURPOSES[field],
          // Our own name, not the one from the contractor's computer
          file: { data, name: `${field}.${type}`, type: MIME_TYPES[type] },
        },
        {
          stripeAccount: accountId,
          idempotencyKey: onboardingKey(user, profile, `upload_${field}`, data),
        }
      )
      fileIds[field] = file.id
    } catch (error) {
      throw await writeFailure(
        error,
        profile,
        { userId: user.id, operation: 'onboarding_upload_document' },
        { file: field }
      )
    }
  }

  const individual: Stripe.AccountUpdateParams.Individual = { verification: {} }
  if (fileIds.document_front) {
    individual.verification!.document = {
      front: fileIds.document_front,
      ...(fileIds.document_back ? { back: fileIds.document_back } : {}),
    }
  }
  if (fileIds.additional_document) {
    individual.verification!.additional_document = { front: fileIds.additional_document }
  }
  return updateAccount(user, 'documents', { individual }, ATTACH_FIELDS)
}
