import type { DataSource } from 'typeorm';
import type { Fold } from '../../core/list-relations';
import { RowShape } from '../../db/row-shape';
import { User } from './user.entity';

/** The user `idColumn` names (when `kindColumn`, if given, says USER), filed for the `users` loader. */
export function userFold(dataSource: DataSource, alias: string, idColumn: string, kindColumn?: string): Fold {
  const shape = RowShape.of(dataSource, User, alias);
  const kind = kindColumn ? `${kindColumn} = 'USER' AND ` : '';
  return {
    select: shape.select,
    joins: `LEFT JOIN users ${alias} ON ${kind}${alias}.id = ${idColumn}`,
    collect: (row, into) => {
      const user = shape.from(row);
      if (user) into.add('users', user.id, user);
    },
  };
}
