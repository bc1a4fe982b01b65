#!/usr/bin/env node
// Follow-up flags and categories of every message of a PST as pst-extractor (the TypeScript
// port of java-libpst) sees them. The property ID of the categories (the named property
// "Keywords" of PS_PUBLIC_STRINGS) comes from pst-extractor's own reading of the file's
// name-to-ID map. Its `colorCategories` getter cannot be used: in pst-extractor 1.12.0 it fills
// an inner array that shadows the one it returns, so it always returns []; the value is decoded
// here from the bytes pst-extractor read.
//
// Usage: NODE_PATH=<dir holding pst-extractor> node flags_pst_extractor.js FILE.pst
// Prints a JSON list, one object per message: folder (names below the top folder), message_id,
// subject, flag_status (PidTagFlagStatus), follow_up_icon (PidTagFollowupIcon), categories.
'use strict'

// pst-extractor reports its own troubles on the console; keep stdout for the JSON.
console.log = console.error

const { PSTFile } = require('pst-extractor')

const FLAG_STATUS = 0x1090
const FOLLOW_UP_ICON = 0x1095

function integer(message, tag) {
  const item = message.pstTableItems.get(tag)
  return item ? item.entryValueReference : null
}

// A PtypMultipleString value: count, offsets, then the UTF-16LE strings.
function multipleStrings(data) {
  const count = data.readUInt32LE(0)
  const offsets = []
  for (let i = 0; i < count; i++) offsets.push(data.readUInt32LE(4 + 4 * i))
  return offsets.map((start, i) =>
    data.toString('utf16le', start, i + 1 < count ? offsets[i + 1] : data.length).split('\0')[0]
  )
}

function categories(message) {
  const id = PSTFile.getPublicStringToIdMapItem('Keywords')
  const item = id < 0 ? null : message.pstTableItems.get(id)
  return item ? multipleStrings(item.data) : []
}

const pst = new PSTFile(process.argv[2])
const top = pst
  .getRootFolder()
  .getSubFolders()
  // What Outlook names the folder holding the user's folders: since Outlook 2010, and before.
  .find((folder) => ['Top of Outlook data file', 'Top of Personal Folders'].includes(folder.displayName))
const found = []
const walk = (folder, path) => {
  if (folder.contentCount > 0) {
    for (let message = folder.getNextChild(); message; message = folder.getNextChild()) {
      found.push({
        folder: path,
        message_id: message.internetMessageId || null,
        subject: message.subject,
        flag_status: integer(message, FLAG_STATUS),
        follow_up_icon: integer(message, FOLLOW_UP_ICON),
        categories: categories(message),
      })
    }
  }
  if (folder.hasSubfolders) {
    for (const sub of folder.getSubFolders()) {
      walk(sub, path ? `${path}/${sub.displayName}` : sub.displayName)
    }
  }
}
walk(top, '')
process.stdout.write(JSON.stringify(found))
