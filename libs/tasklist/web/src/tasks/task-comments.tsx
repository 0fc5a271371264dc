import { useState } from 'preact/hooks';
import { ADD_COMMENT } from '../api/documents';
import type { TasklistApi } from '../api/graphql-client';
import { formatDateTime } from '../format';
import type { TaskDetail } from './task.types';
import { ActionStatusView, useAction } from './use-action';

interface Props {
  api: TasklistApi;
  task: TaskDetail;
  /** The longest comment the server takes (`commentMaxLength`). */
  maxLength: number;
  onChanged: (task: TaskDetail) => void;
}

/** The comments on a task, oldest first, and the form that adds one. */
export function TaskComments({ api, task, maxLength, onChanged }: Props) {
  const [text, setText] = useState('');
  const action = useAction();
  const over = text.length > maxLength;

  const submit = async (event: Event) => {
    event.preventDefault();
    const answer = await action.run('Comment', () =>
      api.request<{ addTaskComment: TaskDetail }>(ADD_COMMENT, { id: task.id, text }),
    );
    if (answer) {
      setText('');
      onChanged(answer.addTaskComment);
    }
  };

  return (
    <section class="comments" aria-labelledby="comments-title">
      <h3 id="comments-title">Comments</h3>
      {task.comments.length === 0 && <p class="muted">No comments yet.</p>}
      <ol class="comment-list" aria-label={`Comments on ${task.name}`}>
        {task.comments.map((c) => (
          <li key={c.id}>
            <p class="comment-meta">
              <strong>{c.author}</strong> · <time dateTime={c.time}>{formatDateTime(c.time)}</time>
            </p>
            <p class="comment-text">{c.text}</p>
          </li>
        ))}
      </ol>
      <form onSubmit={(e) => void submit(e)}>
        <label for="comment-text">Add a comment</label>
        <textarea
          id="comment-text"
          rows={3}
          value={text}
          aria-describedby="comment-limit"
          aria-invalid={over}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <p id="comment-limit" class={over ? 'error' : 'hint'}>
          {text.length} of at most {maxLength} characters, plain text.
        </p>
        <button type="submit" disabled={action.busy}>
          Add comment
        </button>
      </form>
      <ActionStatusView status={action.status} />
    </section>
  );
}
