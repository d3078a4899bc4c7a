// Feedback next to the action it answers: a short notice when it worked, the
// gateway's refusal in the page's language when it did not.
import { useState } from 'preact/hooks';
import { useRefusal } from '../lib/i18n.tsx';

export interface Feedback {
  failure: unknown;
  notice: string;
  /** Runs an action: clears the last feedback, keeps a refusal; true when it worked. */
  run: (work: () => Promise<unknown>, notice?: () => string) => Promise<boolean>;
}

export function useFeedback(): Feedback {
  const [failure, setFailure] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const run = async (work: () => Promise<unknown>, done?: () => string) => {
    setFailure(null);
    setNotice('');
    try {
      await work();
      if (done) setNotice(done());
      return true;
    } catch (error) {
      setFailure(error);
      return false;
    }
  };
  return { failure, notice, run };
}

/** The feedback's visible part: a status line or an alert. */
export function FeedbackLine(props: { of: Feedback }) {
  const refusal = useRefusal();
  const { failure, notice } = props.of;
  return (
    <>
      {notice && <p class="ok" role="status">{notice}</p>}
      {failure !== null && <p class="error" role="alert">{refusal(failure)}</p>}
    </>
  );
}
