// Row types of the phone-book table (used through store.db.withTables).
export type PhoneBookRow = {
  id: string;
  site_id: string;
  kind: 'person' | 'department' | 'reception';
  name: string;
  department: string | null;
  /** Route[] as JSON. */
  routes: string;
  /** Partial<RoutingPolicy> as JSON. */
  policy: string;
  created_at: number;
  updated_at: number;
};

export type PhoneBookTables = {
  phonebook_entries: PhoneBookRow;
};
