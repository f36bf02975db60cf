import { Heading } from '../components/Heading';
import { Link } from '../components/Link';
import { BASE } from '../state';

export function NotFound() {
  return (
    <>
      <Heading title="Page not found" />
      <p>
        The console has no page at this address. <Link href={`${BASE}/`}>Go to the overview</Link>.
      </p>
    </>
  );
}
