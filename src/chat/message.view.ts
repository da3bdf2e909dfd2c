import type { Message, Reaction } from '../protocol';
import { MessageEntity } from './message.entity';

/** The contract's `Message` for a stored row, in its current state. */
export function toMessage(message: MessageEntity, senderName: string): Message {
  const view: Message = {
    id: message.id,
    room: message.room,
    body: message.body,
    sender: { id: message.senderId, displayName: senderName },
    createdAt: message.createdAt.toISOString(),
    editedAt: message.editedAt?.toISOString() ?? null,
    deletedAt: message.deletedAt?.toISOString() ?? null,
    reactions: parseReactions(message.reactions),
  };
  if (message.clientMsgId !== null) view.clientMsgId = message.clientMsgId;
  return view;
}

export function parseReactions(stored: string | null): Reaction[] {
  if (stored === null || stored === '') return [];
  return JSON.parse(stored) as Reaction[];
}

export const storeReactions = (reactions: readonly Reaction[]): string | null => (reactions.length === 0 ? null : JSON.stringify(reactions));
