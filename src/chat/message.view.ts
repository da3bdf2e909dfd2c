import type { Message } from '../protocol';
import { MessageEntity } from './message.entity';

/** The contract's `Message` for a stored row. */
export function toMessage(message: MessageEntity, senderName: string): Message {
  const view: Message = {
    id: message.id,
    room: message.room,
    body: message.deletedAt ? '' : message.body,
    sender: { id: message.senderId, displayName: senderName },
    createdAt: message.createdAt.toISOString(),
    editedAt: null,
    deletedAt: message.deletedAt?.toISOString() ?? null,
    reactions: [],
  };
  if (message.clientMsgId !== null) view.clientMsgId = message.clientMsgId;
  return view;
}
