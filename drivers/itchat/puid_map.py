"""wxpy's puid map with an index, so puids of a large account are computed in linear time.

wxpy finds the puid of a chat it has not seen in this session (every chat, right after a login: UserNames change
per session) by scanning all stored captions (nick name, sex, province, city) one by one. That is quadratic: 3,000
friends took 3 s, and an account with 10,000 friends and 100,000 group members would take hours. A caption can
only match one with the same nick name, so captions are indexed by nick name and only that bucket is scanned, in
the order wxpy would have met them. The stored file format is wxpy's own.

One rule differs from wxpy, for real contact lists where most people carry their WeChat id (Alias, wxpy's `wxid`):
a chat with a wxid never takes the puid of a caption whose puid belongs to a different wxid. wxpy would merge two
people who share nick name, sex, province and city into one puid even though their ids say they differ.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

from wxpy.utils.puid_map import PuidMap, get_caption, match_captions, merge_captions

from drivers.itchat.session_file import UntrustedSessionFile, read_pickle, write_pickle

logger = logging.getLogger(__name__)


class IndexedPuidMap(PuidMap):
    def __init__(self, path: str) -> None:
        self._by_nick: dict[str, set[tuple]] = defaultdict(set)
        self._position: dict[tuple, int] = {}  # a caption's place in wxpy's (insertion-ordered) captions dict
        self._counter = 0
        super().__init__(path)
        self._reindex()

    def load(self) -> None:
        """wxpy's load, from a private file only (unpickling runs code: drivers/itchat/session_file.py)."""
        try:
            self.user_names, self.wxids, self.remark_names, self.captions = read_pickle(Path(self.path))
        except UntrustedSessionFile as exc:
            logger.warning("not loading the puid map: %s", exc)
        self._reindex()

    def dump(self) -> None:
        write_pickle(Path(self.path), (self.user_names, self.wxids, self.remark_names, self.captions))

    def _reindex(self) -> None:
        # puids that belong to some wxid: a chat whose own wxid missed the lookup is not one of them
        self._puids_with_wxid = set(self.wxids.values())
        self._by_nick, self._position = defaultdict(set), {}
        for caption in self.captions:
            self._placed(caption)

    def _placed(self, caption: tuple) -> None:
        self._counter += 1
        self._position[caption] = self._counter
        self._by_nick[caption[0]].add(caption)

    def _find_by_caption(self, caption: tuple, wxid: str | None = None) -> str | None:
        bucket = self._by_nick.get(caption[0], set())
        bucket.difference_update([known for known in bucket if known not in self.captions])  # replaced by wxpy
        taken = self._puids_with_wxid if wxid else set()
        for known in sorted(bucket, key=self._position.__getitem__):  # the order a full scan would meet them
            if match_captions(known, caption) and self.captions[known] not in taken:
                return self.captions[known]
        return None


    def get_puid(self, chat):
        """Same rules as wxpy's PuidMap.get_puid; only the caption search is indexed."""
        with self._thread_lock:
            if not (chat.user_name and chat.nick_name):
                return None
            chat_attrs = (chat.user_name, chat.wxid, getattr(chat, "remark_name", None))
            chat_caption = get_caption(chat)
            puid = None
            for index in range(3):
                puid = self.attr_dicts[index].get(chat_attrs[index])
                if puid:
                    break
            else:
                puid = self._find_by_caption(chat_caption, chat.wxid)
            if puid:
                new_caption = merge_captions(self.captions.get_key(puid), chat_caption)
            else:
                puid = chat.user_name[-8:]
                new_caption = get_caption(chat)
            for index in range(3):
                if chat_attrs[index]:
                    self.attr_dicts[index][chat_attrs[index]] = puid
            if chat.wxid:
                self._puids_with_wxid.add(puid)
            moves = self.captions.get(new_caption) != puid  # then the dict (re)inserts it at the end
            self.captions[new_caption] = puid
            if moves:
                self._placed(new_caption)
            return puid
