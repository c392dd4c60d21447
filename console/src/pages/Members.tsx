import { useState, type FormEvent } from 'react';
import { mutate } from '../api';
import { ConfirmAction, ConfirmDialog } from '../components/ConfirmAction';
import { ErrorText } from '../components/Dialog';
import { Guarded } from '../components/Guarded';
import { useAction, useQuery } from '../data';
import { day } from '../format';
import {
  AddMemberDocument,
  MembersDocument,
  RemoveMemberDocument,
  UpdateMemberRoleDocument,
  type MembersQuery,
  type Role,
} from '../generated/graphql';
import { reasonOf, useScope, useSession } from '../session';

const ROLES: Role[] = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'];

/** Members: add by email and role, change a role, remove; an organization keeps at least one owner. */
export function Members() {
  const read = useScope('members:read');
  const add = useScope('members:create');
  const { viewer, refresh } = useSession();
  const members = useQuery(MembersDocument, read.allowed ? {} : null);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('MEMBER');
  const action = useAction();
  const changed = () => {
    members.reload();
    refresh();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      await mutate(AddMemberDocument, { email: email.trim(), role });
      setEmail('');
      members.reload();
    });
  };
  return (
    <section aria-labelledby="members-title">
      <h1 id="members-title">Members</h1>
      <form className="toolbar" aria-label="Add a member" onSubmit={submit}>
        <label>
          Email <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Role{' '}
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <Guarded type="submit" className="primary" allowed={add.allowed} disabled={action.busy} reason={add.reason}>
          Add member
        </Guarded>
      </form>
      <ErrorText message={action.error} />
      {!read.allowed && (
        <p className="reason" role="note">
          You cannot see the members: {read.reason}
        </p>
      )}
      <ErrorText message={members.data ? '' : (members.errors[0]?.message ?? '')} />
      {members.data && (
        <table className="stack">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {members.data.members.map((m) => (
              <MemberRow key={m.user.id} member={m} you={m.user.id === viewer.user?.id} onChanged={changed} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

type MemberNode = MembersQuery['members'][number];

function MemberRow({ member, you, onChanged }: { member: MemberNode; you: boolean; onChanged: () => void }) {
  // The role picked in the select, waiting for confirmation; the select shows it until Cancel.
  const [picked, setPicked] = useState<Role | null>(null);
  const can = member.viewerCan;
  const roleReason = reasonOf(can.reasons, 'updateRole');
  return (
    <tr>
      <th scope="row">
        {member.user.email}
        {you ? ' (you)' : ''}
      </th>
      <td data-label="Name">{member.user.name ?? ''}</td>
      <td data-label="Role">
        <label className="visually-hidden" htmlFor={`role-${member.user.id}`}>
          Role of {member.user.email}
        </label>
        <select
          id={`role-${member.user.id}`}
          value={picked ?? member.role}
          disabled={!can.updateRole}
          aria-describedby={can.updateRole ? undefined : `role-reason-${member.user.id}`}
          onChange={(e) => setPicked(e.target.value as Role)}
        >
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        {!can.updateRole && (
          <span id={`role-reason-${member.user.id}`} className="reason">
            {roleReason}
          </span>
        )}
        {picked && picked !== member.role && (
          <ConfirmDialog
            title={`Change the role of ${member.user.email}`}
            submitLabel={`Make ${picked}`}
            onClose={() => setPicked(null)}
            onConfirm={async () => {
              await mutate(UpdateMemberRoleDocument, { userId: member.user.id, role: picked });
              onChanged();
            }}
          >
            <p>
              {member.user.email}: {member.role} → {picked}. It applies to their next request, and to their USER key.
            </p>
          </ConfirmDialog>
        )}
      </td>
      <td data-label="Joined">
        {member.pending ? (
          <>
            <span className="status pending">Pending</span>
            <span className="hint"> invited {day(member.joinedAt)}, not signed in yet</span>
          </>
        ) : (
          day(member.firstSignedInAt)
        )}
      </td>
      <td>
        <ConfirmAction
          label="Remove"
          title={`Remove ${member.user.email}`}
          danger
          allowed={can.remove}
          reason={reasonOf(can.reasons, 'remove')}
          onConfirm={async () => {
            await mutate(RemoveMemberDocument, { userId: member.user.id });
            onChanged();
          }}
        >
          <p>{member.user.email} leaves the organization; their USER keys are deleted.</p>
        </ConfirmAction>
      </td>
    </tr>
  );
}
